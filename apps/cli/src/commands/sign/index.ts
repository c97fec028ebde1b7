/**
 * `phlow-keys sign`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const sign: Command = {
  name: 'sign',
  summary: 'sign a message (from --message or stdin); prints a base64url signature',
  usage: 'sign <id> [--message <text>]',
  description:
    'Signs the message with the key that signs for <id> now (EdDSA for an Ed25519 key, ES256 for a P-256 key, RS256 for an RSA key) and prints the signature, base64url. Without --message the message is stdin, byte for byte.',
  options: { message: { type: 'string', short: 'm' } },
  optionHelp: [['-m, --message <text>', 'the message (UTF-8); default: read stdin']],
  examples: ['phlow-keys sign my-agent --message "hello"', 'phlow-keys sign my-agent < request.json'],
  run: async (context) => (await import('./run.js')).run(context),
};
