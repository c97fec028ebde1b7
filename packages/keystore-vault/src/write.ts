/**
 * storeKeyPair on KV v2: compare-and-set, create-only over a soft-deleted key, writes whose outcome is
 * unknown, and a rotation from a clock far behind Vault's (keys-core/adapter versionTimes).
 *
 * `expectedVersion` maps to KV v2's `options.cas`: null -> cas=0 (write only if the key has no metadata yet),
 * "N" -> cas=N. Vault applies it atomically, so of concurrent rotations exactly one wins; a mismatch (400
 * "check-and-set parameter did not match") is CONFLICT and writes nothing. Two details:
 * - A soft-deleted key keeps its metadata, so cas=0 fails on it although it reads as missing. Create-only then
 *   tries once more with cas=<its current version>, which is just as atomic.
 * - When the connection breaks after the request went out, or a 5xx comes back, the write may or may not have
 *   been applied, and repeating an unconditional write would add a version. So the store reads back the
 *   version the write would have made and compares; only a write found missing is sent again.
 */
import { KeyStoreError, type StoreKeyPairOptions } from '@phlow/keys-core';
import { DEADLINE_CODE, versionTimes } from '@phlow/keys-core/adapter';
import { isCasMismatch, isOutcomeUnknown, toKeyStoreError, type VaultFailure } from './errors.js';
import {
  cliPath,
  currentIsReadable,
  dataPath,
  type KvLayout,
  type KvMetadata,
  type KvMiss,
  type KvSecret,
} from './kv2.js';
import { effectiveMaxVersions, versionLostInGrace } from './retention.js';
import type { RetentionCheck } from './retention-check.js';
import type { VaultSession } from './session.js';

export interface WriteContext {
  readonly session: VaultSession;
  readonly layout: KvLayout;
  readonly retention: RetentionCheck;
  readonly readMetadata: (keyId: string) => Promise<KvMetadata | null>;
  readonly readVersion: (keyId: string, version?: number) => Promise<KvSecret | KvMiss>;
  /** How long a replaced key keeps verifying (PHLOW_KEY_ROTATION_GRACE_SECONDS, as KeyManager reads it). */
  readonly rotationGracePeriodMs: number;
}

interface Pair {
  readonly privateKey: string;
  readonly publicKey: string;
}

export async function writeKeyPair(
  ctx: WriteContext,
  keyId: string,
  pair: Pair,
  options: StoreKeyPairOptions,
): Promise<void> {
  const { session, layout } = ctx;
  const expected = options.expectedVersion;
  const conflict = () =>
    new KeyStoreError(
      'CONFLICT',
      expected === null
        ? `key "${keyId}" already exists at ${cliPath(layout, keyId)}: pass its current version as expectedVersion to replace it`
        : `key "${keyId}" is no longer at version ${expected} (another writer got there first): read it again and retry`,
      { storeType: 'vault', keyId },
    );

  let cas: number | undefined;
  let activatesAt = options.activatesAt;
  if (expected === null) cas = 0;
  else if (expected !== undefined) {
    if (!/^[1-9]\d{0,15}$/.test(expected)) throw conflict(); // never a Vault version, so never the current one
    cas = Number(expected);
    // The contract treats a soft-deleted id as missing, but Vault's cas=N still matches a deleted version N:
    // refuse the replacement unless the current version reads.
    const meta = await ctx.readMetadata(keyId);
    if (!meta || !currentIsReadable(meta)) {
      throw new KeyStoreError(
        'CONFLICT',
        `key "${keyId}" is not at version ${expected}: ${meta ? `its current version ${meta.currentVersion} is deleted` : 'it does not exist'} (store it anew with expectedVersion null, or recover it with vault kv undelete ${cliPath(layout, keyId)})`,
        { storeType: 'vault', keyId },
      );
    }
    await ctx.retention.beforeRotation(keyId, async () => meta);
    await refuseGraceLoss(ctx, keyId, meta);
    // Vault dates versions by its own clock (created_time); the activation time comes from this host's. A
    // host far behind Vault's newest version is refused, one a little behind keeps its whole delay.
    if (activatesAt !== undefined) activationText(activatesAt, keyId);
    activatesAt = versionTimes({
      now: new Date(),
      newestCreatedAt: meta.versions[0]?.createdAt,
      activatesAt,
      storeType: 'vault',
      keyId,
    }).activatesAt;
  }

  const path = dataPath(layout, keyId);
  const data = {
    private_key: pair.privateKey,
    public_key: pair.publicKey,
    ...(activatesAt === undefined ? {} : { activates_at: activationText(activatesAt, keyId) }),
  };
  let overDeleted = false;
  for (let attempt = 0; ; attempt++) {
    const body = cas === undefined ? { data } : { options: { cas }, data };
    const out = await session.call({ method: 'POST', path, body, idempotent: false });
    if (out.ok) return;
    const failure = out.failure;

    if (isCasMismatch(failure)) {
      if (expected === null && !overDeleted) {
        const meta = await ctx.readMetadata(keyId);
        if (meta && !currentIsReadable(meta)) {
          overDeleted = true;
          cas = meta.currentVersion;
          attempt--;
          continue;
        }
      }
      throw conflict();
    }
    if (!isOutcomeUnknown(failure)) throw toKeyStoreError(failure, session.at('write', path, keyId));

    const landed = await recheck(ctx, keyId, pair, cas, failure);
    if (landed === 'yes') return;
    if (landed === 'taken') throw conflict();
    if (attempt >= session.transport.config.maxRetries)
      throw toKeyStoreError(failure, session.at('write', path, keyId));
  }
}

/**
 * A rotation (a write with expectedVersion) that would make Vault destroy a version still in its grace period is
 * refused: Vault keeps only max_versions versions and destroys the oldest on every write, which would silently
 * retire a key whose tokens are still being verified. Nothing is written.
 */
async function refuseGraceLoss(ctx: WriteContext, keyId: string, meta: KvMetadata): Promise<void> {
  const mount = await ctx.retention.mountSettings();
  const max = effectiveMaxVersions(mount, {
    maxVersions: meta.maxVersions,
    deleteVersionAfter: meta.deleteVersionAfter,
  });
  const lost = versionLostInGrace(meta, max, ctx.rotationGracePeriodMs);
  if (!lost) return;
  const path = cliPath(ctx.layout, keyId);
  throw new KeyStoreError(
    'INVALID_CONFIG',
    `rotating key "${keyId}" now would make Vault destroy version ${lost.version}, which still verifies until ${lost.retiresAt.toISOString()}: ${path} keeps only ${max} versions (max_versions). Raise it (vault kv metadata put -max-versions=${max * 2} ${path}), rotate after that time, or shorten PHLOW_KEY_ROTATION_GRACE_SECONDS`,
    { storeType: 'vault', keyId },
  );
}

/**
 * Was the write applied? With cas=N it would have made version N+1: read exactly that one. Without cas, read
 * the current version. `taken`: version N+1 exists with other contents, so another writer won.
 */
async function recheck(
  ctx: WriteContext,
  keyId: string,
  pair: Pair,
  cas: number | undefined,
  failure: VaultFailure,
): Promise<'yes' | 'no' | 'taken'> {
  const broke =
    failure.kind === 'network' && failure.code === DEADLINE_CODE
      ? `Vault at ${ctx.session.address} did not finish answering within the deadline: raise PHLOW_VAULT_REQUEST_DEADLINE_SECONDS if it is slow`
      : `the connection to Vault at ${ctx.session.address} broke after sending it`;
  let found: KvSecret | KvMiss;
  try {
    found = await ctx.readVersion(keyId, cas === undefined ? undefined : cas + 1);
  } catch (error) {
    throw new KeyStoreError(
      'UNAVAILABLE',
      `the write of key "${keyId}" may or may not have been applied (${broke}, and reading it back failed): check with vault kv get ${cliPath(ctx.layout, keyId)} before writing again`,
      { storeType: 'vault', keyId, cause: error },
    );
  }
  if ('state' in found) return 'no';
  if (found.privateKey === pair.privateKey && found.publicKey === pair.publicKey) return 'yes';
  return cas === undefined ? 'no' : 'taken';
}

/** `activatesAt` as the `activates_at` field: ISO 8601 with milliseconds; INVALID_CONFIG for a non-date. */
function activationText(activatesAt: Date, keyId: string): string {
  if (!(activatesAt instanceof Date) || Number.isNaN(activatesAt.getTime())) {
    throw new KeyStoreError('INVALID_CONFIG', 'activatesAt must be a valid Date', {
      storeType: 'vault',
      keyId,
    });
  }
  return activatesAt.toISOString();
}
