/**
 * `phlow-keys rotate`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const rotate: Command = {
  name: 'rotate',
  summary:
    'replace a key; the new one signs after the rotation delay, the old one verifies during the grace period',
  usage: 'rotate <id> [--alg EdDSA|ES256|RS256] [--if-older-than <age>] [--now] [--revoke-previous]',
  description:
    'Writes a new key as the current version of <id>, of the algorithm of the key it replaces (an RS256 key stays RS256) unless --alg names another. It is in the JWK Set and verifies at once, and starts signing PHLOW_KEY_ROTATION_DELAY_SECONDS (default 900, 15m) after the rotation, in every process by itself; run this with the same settings as the fleet. The previous key keeps verifying for PHLOW_KEY_ROTATION_GRACE_SECONDS (default 86400, 24h). Needs a store that keeps versions (encrypted_file, vault, aws).',
  options: {
    alg: { type: 'string' },
    'if-older-than': { type: 'string' },
    now: { type: 'boolean' },
    'revoke-previous': { type: 'boolean' },
  },
  optionHelp: [
    ['--alg EdDSA|ES256|RS256', "the new key's algorithm; default: the algorithm of the key it replaces"],
    [
      '--if-older-than <age>',
      'rotate only if the current key is at least <age> old (90d, 12h, 30m, or seconds); safe to run from many replicas at once: exactly one rotates',
    ],
    ['--now', 'emergency: the new key signs at once, without the rotation delay'],
    [
      '--revoke-previous',
      'emergency for a leaked key (implies --now): destroys every previous version, so the old key stops verifying everywhere within one cache TTL',
    ],
  ],
  examples: [
    'phlow-keys rotate my-agent',
    'phlow-keys rotate my-agent --if-older-than 90d',
    'phlow-keys rotate my-agent --alg ES256',
    'phlow-keys rotate my-agent --now --revoke-previous',
  ],
  run: async (context) => (await import('./run.js')).run(context),
};
