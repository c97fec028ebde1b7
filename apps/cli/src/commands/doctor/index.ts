/**
 * `phlow-keys doctor`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';
import { MAX_KEYS_READ, SLOW_MS } from './limits.js';

export const doctor: Command = {
  name: 'doctor',
  summary: 'check the configured store end to end and explain failures',
  usage: 'doctor [ids...] [--write-check]',
  description: `Checks configuration, the adapter, cache settings, the master key and file modes (encrypted_file), connection and authentication, listing, reading keys (the given ids, else up to ${MAX_KEYS_READ} listed ones) and a write/read/delete of a scratch key, which leaves nothing behind. On a store that keeps deleted keys for a waiting period (aws_kms) the write is not tried unless --write-check is given. Steps slower than ${SLOW_MS} ms are flagged. Exits 1 if any check fails.`,
  options: { 'write-check': { type: 'boolean' } },
  optionHelp: [
    [
      '--write-check',
      'also write a scratch key on a store that keeps deleted keys for a while (aws_kms: scheduled for deletion, 7 days at least)',
    ],
  ],
  examples: [
    'phlow-keys doctor',
    'PHLOW_KEY_STORE_TYPE=vault phlow-keys doctor my-agent',
    'PHLOW_KEY_STORE_TYPE=aws_kms phlow-keys doctor --write-check',
  ],
  run: async (context) => (await import('./run.js')).run(context),
};
