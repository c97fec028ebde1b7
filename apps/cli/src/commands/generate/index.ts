/**
 * `phlow-keys generate`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const generate: Command = {
  name: 'generate',
  summary: 'generate a new key pair (Ed25519, or P-256 / RSA with --alg)',
  usage: 'generate <id> [--alg EdDSA|ES256|RS256]',
  description:
    'Creates a key pair under <id>: Ed25519 (EdDSA) by default, P-256 (ES256) for verifiers that refuse EdDSA such as SPIFFE JWT-SVIDs and OAuth private_key_jwt, RSA-2048 (RS256) for the Python Phlow. An existing id is never overwritten: use rotate.',
  options: { alg: { type: 'string' } },
  optionHelp: [
    ['--alg EdDSA|ES256|RS256', 'the algorithm of the key: Ed25519, P-256 or RSA-2048; default EdDSA'],
  ],
  examples: ['phlow-keys generate my-agent', 'phlow-keys generate my-agent --alg ES256'],
  run: async (context) => (await import('./run.js')).run(context),
};
