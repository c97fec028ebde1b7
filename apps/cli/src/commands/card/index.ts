/**
 * `phlow-keys card`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs (with @phlow/keys-a2a).
 */
import type { Command } from '../../command.js';

export const card: Command = {
  name: 'card',
  summary: 'sign an A2A Agent Card, or verify one against a JWK Set (exit 0 valid, 1 refused)',
  usage:
    'card sign <id> <card.json | -> [--jku <url>] | card verify <card.json | -> (--jwks <url | file> | --id <id>) [--alg <alg>]... [--ignore-jku]',
  description:
    'card sign: prints the card signed with the keys of <id> (RFC 8785 of the card without "signatures", one detached JWS per key a verifier should accept now: the signing key and, during a staged rotation, the next key). card verify: exit 0 when a signature verifies with a trusted key, 1 when the card is refused (with the reason\'s code); the trusted keys are the JWK Set at --jwks (an https URL, or a file), or the keys of --id in the store. A card\'s jku is never fetched: unless it is the --jwks URL the card is refused (JKU_REFUSED), or with --ignore-jku the kid is looked up in the trusted keys anyway. - reads the card from stdin.',
  options: {
    jku: { type: 'string' },
    jwks: { type: 'string' },
    id: { type: 'string' },
    alg: { type: 'string', multiple: true },
    'ignore-jku': { type: 'boolean' },
  },
  optionHelp: [
    ['--jku <url>', 'sign: your JWK Set URL, put in each signature header'],
    ['--jwks <url|file>', 'verify: the trusted JWK Set (https URL, http only to loopback, or a file)'],
    ['--id <id>', "verify: trust the store's keys of <id> instead"],
    ['--alg <alg>', 'verify: an accepted alg (repeat); default EdDSA, ES256 and RS256'],
    ['--ignore-jku', "verify: a card's jku other than --jwks is not refused, only not followed"],
  ],
  examples: [
    'phlow-keys card sign my-agent agent-card.json > signed-card.json',
    'phlow-keys card verify signed-card.json --jwks https://peer.example/.well-known/jwks.json',
    'curl -s https://peer.example/.well-known/agent-card.json | phlow-keys card verify - --jwks jwks.json --json',
  ],
  run: async (context) => (await import('./run.js')).run(context),
};
