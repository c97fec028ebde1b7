/**
 * `phlow-keys token`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const token: Command = {
  name: 'token',
  summary: 'print a signed JWT for an agent (EdDSA, ES256 or RS256, by key type)',
  usage: 'token <id> [--aud <agent>]... [--ttl 5m] [--claims <JSON>] [--sub <subject>]',
  description:
    "Signs a JWT with the current key of <id>: alg EdDSA (Ed25519 key), ES256 (P-256 key) or RS256 (RSA key), kid = the key's JWK thumbprint, iss = <id>, iat, and exp after --ttl. A Python Phlow verifier accepts only RS256 tokens without --aud.",
  options: {
    aud: { type: 'string', multiple: true },
    ttl: { type: 'string' },
    claims: { type: 'string' },
    sub: { type: 'string' },
  },
  optionHelp: [
    [
      '--aud <agent>',
      'the audience (repeat for several); verifiers that expect one refuse tokens without it',
    ],
    ['--ttl <duration>', 'lifetime: seconds or 90s, 5m, 1h, 1d (at most 1d); default 5m'],
    ['--claims <JSON>', 'extra claims, a JSON object (iat, exp and nbf are set by the command)'],
    ['--sub <subject>', 'the sub claim'],
  ],
  examples: [
    'phlow-keys token my-agent --aud peer-agent',
    'phlow-keys token my-agent --ttl 1m --claims \'{"scope":"read"}\'',
    'curl -H "Authorization: Bearer $(phlow-keys token my-agent --aud peer)" https://peer.example/tasks',
  ],
  run: async (context) => (await import('./run.js')).run(context),
};
