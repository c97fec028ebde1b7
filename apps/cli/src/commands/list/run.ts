/**
 * `phlow-keys list`: every key id in the store with its current kid, algorithm, version, age, which key
 * signs now (during a rotation delay it is the previous one) and when the current key starts signing, and
 * how many keys verify its signatures right now (more than one during a rotation's grace period).
 *
 * One broken entry (a key the backend cannot give a public key for, a stored value that is not a key) does not
 * hide the others: it is named with its error code (never its content) and the command exits 1 after printing
 * the rest. An outage, or every id failing (a revoked credential), fails the command as before.
 */
import { isKeyStoreError } from '@phlow/keys-core';
import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { formatDuration } from '../../format-duration.js';
import { keyInfo } from '../../key-info.js';
import { listIds } from '../../list-ids.js';
import { PROGRESS_FROM, progressBar } from '../../progress.js';
import { withSession } from '../../session.js';
import { UsageError } from '../../usage-error.js';

export async function run(context: CommandContext): Promise<ExitCode> {
  if (context.positionals.length > 0) throw new UsageError('list takes no arguments', 'list');
  const { out } = context;
  let exit: ExitCode = EXIT.OK;
  await withSession(context, async ({ manager, store }) => {
    const ids = await listIds(store, 'read the ids from your configuration instead');
    const keys = [];
    const broken: { keyId: string; code: string }[] = [];
    const progress = progressBar(out, ids.length, PROGRESS_FROM);
    for (const [i, id] of ids.entries()) {
      let state: Awaited<ReturnType<typeof manager.rotationState>>;
      try {
        state = await manager.rotationState(id);
      } catch (error) {
        if (!isKeyStoreError(error) || error.code === 'UNAVAILABLE') throw error;
        if (broken.length === ids.length - 1 && keys.length === 0) throw error; // every id failed
        // Deleted since the listing: not a key any more, nothing to report.
        if (error.code !== 'NOT_FOUND') broken.push({ keyId: id, code: error.code });
        continue;
      } finally {
        progress.update(i + 1, id);
      }
      keys.push({
        ...keyInfo(state.current),
        ageSeconds: state.ageMs === undefined ? null : Math.floor(state.ageMs / 1000),
        signingKid: state.signing.kid,
        activatesAt: state.activatesAt?.toISOString() ?? null,
        verifyingKeys: state.verifying.length,
      });
    }
    progress.done();
    for (const b of broken)
      out.warn(`key "${b.keyId}" left out: it cannot be read (${b.code}); see phlow-keys get ${b.keyId}`);
    if (broken.length > 0) exit = EXIT.FAILURE;
    if (out.json) return out.data({ store: store.type, keys, ...(broken.length > 0 ? { broken } : {}) });
    if (keys.length === 0) {
      out.note(`no keys in ${store.type}; create one with \`phlow-keys generate <id>\``);
      return;
    }
    out.table(
      ['ID', 'KID', 'ALG', 'VERSION', 'CREATED', 'AGE', 'SIGNS', 'VERIFYING'],
      keys.map((k) => [
        k.keyId,
        k.kid,
        k.alg ?? '-',
        k.version ?? '-',
        k.createdAt ?? '-',
        k.ageSeconds === null ? '-' : formatDuration(Math.max(0, k.ageSeconds) * 1000),
        k.activatesAt ? `from ${k.activatesAt}` : 'yes',
        String(k.verifyingKeys),
      ]),
    );
  });
  return exit;
}
