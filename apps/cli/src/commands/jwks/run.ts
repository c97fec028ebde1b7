/**
 * `phlow-keys jwks [ids...]`: the JWK Set verifiers fetch, with keys still in their grace period. Always
 * JSON, because the output is a document to publish, not a report.
 */
import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { someIds } from '../../ids.js';
import { listIds } from '../../list-ids.js';
import { withSession } from '../../session.js';

export async function run(context: CommandContext): Promise<ExitCode> {
  const ids = someIds(context);
  await withSession(context, async ({ manager, store }) => {
    const chosen = ids.length > 0 ? ids : await listIds(store, 'pass the key ids: phlow-keys jwks <id>...');
    context.out.data(await manager.jwks(chosen));
  });
  return EXIT.OK;
}
