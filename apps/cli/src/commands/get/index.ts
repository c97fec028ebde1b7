/**
 * `phlow-keys get`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const get: Command = {
  name: 'get',
  summary: 'print the public key (the private key only with --private)',
  usage: 'get <id> [--format pem|jwk] [--private]',
  description:
    'Prints the public key of <id> that signs now (during a rotation delay the previous one: list shows both, jwks publishes both). With --private, prints its private key instead; nothing else ever prints it.',
  options: { format: { type: 'string' }, private: { type: 'boolean' } },
  optionHelp: [
    ['--format pem|jwk', 'PEM (default) or JWK with its RFC 7638 thumbprint as kid'],
    ['--private', 'print the private key (warns on a terminal; handle the output as a secret)'],
  ],
  examples: [
    'phlow-keys get my-agent > my-agent.pub.pem',
    'phlow-keys get my-agent --format jwk',
    'phlow-keys get my-agent --private > my-agent.pem',
  ],
  run: async (context) => (await import('./run.js')).run(context),
};
