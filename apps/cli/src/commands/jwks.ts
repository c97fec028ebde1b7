/**
 * `phlow-keys jwks [ids...]`: the JWK Set verifiers fetch, with keys still in their grace period. Always
 * JSON, because the output is a document to publish, not a report.
 */
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { someIds } from '../ids.js';
import { listIds } from '../list-ids.js';
import { withSession } from '../session.js';

export const jwks: Command = {
  name: 'jwks',
  summary: 'print the JWK Set (public keys, including keys in their grace period)',
  usage: 'jwks [ids...]',
  description:
    'Prints {"keys": [...]} for the given ids, or for every id the store lists. Each key carries its RFC 7638 thumbprint as kid.',
  options: {},
  optionHelp: [],
  examples: ['phlow-keys jwks > public/.well-known/jwks.json', 'phlow-keys jwks my-agent other-agent'],
  async run(context) {
    const ids = someIds(context);
    await withSession(context, async ({ manager, store }) => {
      const chosen = ids.length > 0 ? ids : await listIds(store, 'pass the key ids: phlow-keys jwks <id>...');
      context.out.data(await manager.jwks(chosen));
    });
    return EXIT.OK;
  },
};
