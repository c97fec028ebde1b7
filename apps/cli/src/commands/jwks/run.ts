/**
 * `phlow-keys jwks [ids...]`: the JWK Set verifiers fetch, with keys still in their grace period. Always
 * JSON, because the output is a document to publish, not a report. Built with core's buildJwkSet over the
 * manager's verification keys, as `manager.jwks` builds it, so that a long run can show progress on stderr.
 * A broken entry is left out of the set as core leaves it out (the rest is served), named on stderr with its
 * error code, and the command exits 1.
 */
import { buildJwkSet } from '@phlow/keys-core';
import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { someIds } from '../../ids.js';
import { listIds } from '../../list-ids.js';
import { PROGRESS_FROM, progressBar } from '../../progress.js';
import { withSession } from '../../session.js';

export async function run(context: CommandContext): Promise<ExitCode> {
  const ids = someIds(context);
  let exit: ExitCode = EXIT.OK;
  await withSession(context, async ({ manager, store }) => {
    const chosen = ids.length > 0 ? ids : await listIds(store, 'pass the key ids: phlow-keys jwks <id>...');
    const progress = progressBar(context.out, chosen.length, PROGRESS_FROM);
    let done = 0;
    const skipped: { keyId: string; code: string }[] = [];
    const set = await buildJwkSet(
      chosen,
      async (id) => {
        try {
          return await manager.getVerificationKeys(id);
        } finally {
          progress.update(++done, id);
        }
      },
      { onSkip: (keyId, code) => skipped.push({ keyId, code }) },
    );
    progress.done();
    for (const s of skipped)
      context.out.warn(`key "${s.keyId}" left out of the set: it cannot be read (${s.code})`);
    if (skipped.length > 0) exit = EXIT.FAILURE;
    context.out.data(set);
  });
  return exit;
}
