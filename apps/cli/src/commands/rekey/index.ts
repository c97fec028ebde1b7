/**
 * `phlow-keys rekey`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const rekey: Command = {
  name: 'rekey',
  summary: 'encrypt the key file under a new master key (encrypted_file only)',
  usage: 'rekey [--new-master-key-file <path>]',
  description: [
    'Re-encrypts the encrypted key file under a new master key, in one atomic replace.',
    'With --new-master-key-file, the new key is read from that file (a base64:/hex: key or a passphrase of at least 16 characters; a regular file only group and others cannot read); then point PHLOW_MASTER_KEY_FILE at it. A .phlow/master.key used by the fallback is renamed to .phlow/master.key.old-<time>, so it is not picked up again.',
    'Without it, a new key is generated: if the current key is in a file (PHLOW_MASTER_KEY_FILE or .phlow/master.key), the old key is kept as <file>.old-<time> and the new one replaces the file; if it is in PHLOW_MASTER_KEY, the new key is written to .phlow/master.key and you unset PHLOW_MASTER_KEY.',
  ].join('\n\n'),
  options: { 'new-master-key-file': { type: 'string' } },
  optionHelp: [
    ['--new-master-key-file <path>', 'take the new master key from this file instead of generating one'],
  ],
  examples: ['phlow-keys rekey', 'phlow-keys rekey --new-master-key-file /run/secrets/phlow-master-key'],
  run: async (context) => (await import('./run.js')).run(context),
};
