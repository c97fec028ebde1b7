/**
 * `phlow-keys verify-token`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const verifyToken: Command = {
  name: 'verify-token',
  summary: "verify a JWT against the issuer's keys; prints its claims (exit 0 valid, 1 refused)",
  usage: 'verify-token [<token> | -] [--aud <agent>]... [--issuer <id>]',
  description:
    "Verifies the token's signature with the current or an in-grace key of its issuer (the iss claim, or --issuer), then exp/nbf, aud and iss. Without a token argument (or with -) the token is read from stdin.",
  options: { aud: { type: 'string', multiple: true }, issuer: { type: 'string' } },
  optionHelp: [
    ['--aud <agent>', 'the expected audience (repeat to accept any of several); tokens with an aud need it'],
    ['--issuer <id>', 'the key id whose keys verify the token; default: its iss claim'],
  ],
  examples: [
    'phlow-keys verify-token --aud my-agent < token.txt',
    'phlow-keys verify-token "$TOKEN" --aud my-agent && echo trusted',
  ],
  run: async (context) => (await import('./run.js')).run(context),
};
