/**
 * Migrating one key id: the unit `migrate` repeats, and the reason re-running a failed migration is safe.
 *
 * Only the source is read; the destination is read before and after the write. An identical key already at
 * the destination is skipped (so a second run resumes where the first stopped), a different one is a conflict
 * left alone unless `overwrite`, and a write counts only once the key read back from the destination equals
 * the source. Pairs are written through KeyManager.storeKeyPair, which checks that both PEMs parse and belong
 * together, so RSA pairs from older deployments migrate as they are.
 *
 * During a staged rotation the source's newest key is published but another one still signs. Copying only
 * the newest would make it sign at once from the destination and drop the key whose tokens are in flight, so
 * the key that signs is written first and the newest after it: the destination holds both, and its own
 * rotation delay passes before the newest signs there too. A destination without versions keeps one key, so
 * it gets the newest alone, as outside a rotation.
 */
import {
  checkKeyPair,
  isKeyStoreError,
  type KeyManager,
  type KeyPair,
  KeyStoreError,
} from '@phlow/keys-core';
import { sameKeyPair } from './same-key.js';

export type MigrationStatus =
  | 'copied'
  | 'overwritten'
  | 'skipped'
  | 'conflict'
  | 'failed'
  | 'not-attempted'
  | 'would-copy'
  | 'would-overwrite'
  | 'ambiguous';

export interface MigrationResult {
  /** The id at the destination. */
  readonly keyId: string;
  /** The id read at the source, when it differs (an `--as` mapping, an upper-snake variable name). */
  readonly sourceId?: string;
  readonly status: MigrationStatus;
  /** The kid of the source key, when it could be read. */
  readonly kid?: string;
  /** In words for the table: where the key came from, or why it was not copied. */
  readonly reason?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

/** The newest key of `keyId` at the destination, read from the store now, or undefined when it has none. */
async function readOptional(manager: KeyManager, keyId: string): Promise<KeyPair | undefined> {
  try {
    return await manager.getNewestKeyPair(keyId, { forceFetch: true });
  } catch (error) {
    if (isKeyStoreError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}

/** Never throws: a failure is a `failed` result with the error's code and message (and the kid, if known). */
export async function migrateOne(
  ids: { readonly sourceId: string; readonly keyId: string; readonly reason?: string },
  from: KeyManager,
  to: KeyManager,
  options: { dryRun: boolean; overwrite: boolean },
): Promise<MigrationResult> {
  const { keyId } = ids;
  const named = {
    keyId,
    ...(ids.sourceId !== keyId ? { sourceId: ids.sourceId } : {}),
    ...(ids.reason ? { reason: ids.reason } : {}),
  };
  let kid: string | undefined;
  try {
    const source = await from.getNewestKeyPair(ids.sourceId);
    kid = source.kid;
    const signing = to.store.capabilities.versions
      ? await signingKeyOf(from, ids.sourceId, source)
      : undefined; // a destination without versions keeps one key: the current one, as before
    // When the newest key starts signing at the source: the destination keeps that time (a staged rotation).
    const pendingAt = signing ? (await from.rotationState(ids.sourceId)).activatesAt : undefined;
    const status = await copy(keyId, source, signing, pendingAt, to, options);
    return {
      ...named,
      ...(signing && status !== 'skipped' && status !== 'conflict'
        ? { reason: withReason(named.reason, `with ${signing.kid}, which still signs at the source`) }
        : {}),
      kid,
      status,
    };
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    return {
      ...named,
      ...(kid ? { kid } : {}),
      status: 'failed',
      error: {
        code: typeof e.code === 'string' ? e.code : 'ERROR',
        message: typeof e.message === 'string' ? e.message : String(error),
      },
    };
  }
}

/** The key that signs for `keyId` at the source when it is not the newest (a staged rotation), else undefined. */
async function signingKeyOf(from: KeyManager, keyId: string, newest: KeyPair): Promise<KeyPair | undefined> {
  if (!from.store.capabilities.versions) return undefined;
  // Asked publicly first: the private read (an audited access) only when another key does sign.
  if ((await from.getPublicKeyPair(keyId)).kid === newest.kid) return undefined;
  const signing = await from.getKeyPair(keyId);
  return signing.kid !== newest.kid ? signing : undefined;
}

function withReason(reason: string | undefined, more: string): string {
  return reason ? `${reason}; ${more}` : more;
}

async function copy(
  keyId: string,
  source: KeyPair,
  signing: KeyPair | undefined,
  pendingAt: Date | undefined,
  to: KeyManager,
  options: { dryRun: boolean; overwrite: boolean },
): Promise<MigrationStatus> {
  checkKeyPair(source.privateKey, source.publicKey, keyId);
  if (signing) checkKeyPair(signing.privateKey, signing.publicKey, keyId);
  const existing = await readOptional(to, keyId);
  if (existing && sameKeyPair(existing, source)) return 'skipped';
  // A run that stopped between the two writes of a staged rotation left the signing key: go on from there.
  const resumed = existing !== undefined && signing !== undefined && sameKeyPair(existing, signing);
  if (existing && !resumed && !options.overwrite) return 'conflict';
  if (options.dryRun) return existing && !resumed ? 'would-overwrite' : 'would-copy';

  if (signing && !resumed) await to.storeKeyPair(keyId, signing.privateKey, signing.publicKey);
  // The newest key keeps the source's activation time, so the destination goes on signing with the key that
  // signs at the source until then (a store without activation times derives it from the write and its delay).
  await to.storeKeyPair(
    keyId,
    source.privateKey,
    source.publicKey,
    pendingAt ? { activatesAt: pendingAt } : {},
  );
  const written = await readOptional(to, keyId);
  if (!written || !sameKeyPair(written, source)) {
    throw new KeyStoreError(
      'INTEGRITY',
      `"${keyId}" read back from the destination ${written ? 'differs from' : 'is missing after writing'} the source key; the source is unchanged, check the destination store and run migrate again`,
      { storeType: to.store.type, keyId },
    );
  }
  return existing && !resumed ? 'overwritten' : 'copied';
}
