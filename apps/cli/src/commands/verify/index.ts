/**
 * `phlow-keys verify`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const verify: Command = {
  name: 'verify',
  summary: 'verify a signature (exit 0 valid, 1 invalid)',
  usage: 'verify <id> --signature <b64url> [--message <text>]',
  description:
    'Checks a signature (EdDSA for an Ed25519 key, ES256 for a P-256 key, RS256 for an RSA key) against the current key of <id> and any key still in its rotation grace period. A signature may start with "-": pass it as --signature=<b64url>.',
  options: { signature: { type: 'string', short: 's' }, message: { type: 'string', short: 'm' } },
  optionHelp: [
    ['-s, --signature <b64url>', 'the signature, base64url (as `sign` prints it)'],
    ['-m, --message <text>', 'the message (UTF-8); default: read stdin'],
  ],
  examples: [
    'phlow-keys verify my-agent --signature="$sig" --message "hello"',
    'phlow-keys verify my-agent --signature="$sig" < request.json && echo trusted',
  ],
  run: async (context) => (await import('./run.js')).run(context),
};
