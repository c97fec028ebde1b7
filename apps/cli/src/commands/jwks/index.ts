/**
 * `phlow-keys jwks`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const jwks: Command = {
  name: 'jwks',
  summary: 'print the JWK Set (public keys, including keys in their grace period)',
  usage: 'jwks [ids...]',
  description:
    'Prints {"keys": [...]} for the given ids, or for every id the store lists. Each key carries its RFC 7638 thumbprint as kid.',
  options: {},
  optionHelp: [],
  examples: ['phlow-keys jwks > public/.well-known/jwks.json', 'phlow-keys jwks my-agent other-agent'],
  run: async (context) => (await import('./run.js')).run(context),
};
