/**
 * Rotation, on stores with exportable keys and on stores that sign inside their backend (capability
 * `signer`). The activation time of the new key is decided here, once, by the rotating process:
 *
 * - On a store with the `activation` capability it is written with the new version: rotation time + this
 *   process's delay, or rotation time for an emergency (`now`, `revokePrevious`). One write, whatever the
 *   kind of rotation; every replica then reads the same time (see rotation-timeline.ts).
 * - On a store without it, the timeline derives it from the version's write time and each replica's delay,
 *   and an emergency rotation writes its key twice (the marker that means "signs at once").
 *
 * A rotation keeps the algorithm of the key it replaces (an RS256 key stays RS256 for Python verifiers)
 * unless it is given another one. Of concurrent rotations of one id exactly one wins: the write is a
 * compare-and-set on the version that was read.
 */

import { newKeyPems } from './algorithms.js';
import type { AuditFields } from './audit-events.js';
import type { KeyStore, SignerKeyStore } from './contract.js';
import { isKeyStoreError, KeyStoreError } from './errors.js';
import type { KeyCache, KeyView } from './key-cache.js';
import { assertValidKeyId } from './key-id.js';
import { KeyPair } from './key-pair.js';
import { assertWritable, changedSinceRead, checkedAlgorithm, notFound } from './manager-errors.js';
import type {
  KeyManagerEvent,
  RotateOptions,
  RotationResult,
  ScheduledRotationResult,
} from './manager-options.js';
import type { PublicKeyPair } from './public-key-pair.js';

/** What a rotation needs of its KeyManager. */
export interface RotationContext {
  readonly store: KeyStore;
  readonly signer: SignerKeyStore | undefined;
  readonly cache: KeyCache;
  readonly delayMs: number;
  readonly graceMs: number;
  readonly now: () => number;
  readonly emit: (event: KeyManagerEvent) => void;
}

/** Rotates `keyId` now (see KeyManager.rotateKeyPair). */
export async function rotateKeyPair(
  ctx: RotationContext,
  keyId: string,
  options: RotateOptions,
): Promise<RotationResult> {
  return rotateFrom(ctx, keyId, await rotatable(ctx, keyId), options);
}

/** Rotates `keyId` only if its current key was written at least `maxAgeMs` ago (see KeyManager.rotateIfOlderThan). */
export async function rotateIfOlderThan(
  ctx: RotationContext,
  keyId: string,
  maxAgeMs: number,
  options: RotateOptions,
): Promise<ScheduledRotationResult> {
  if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `rotateIfOlderThan needs a non-negative number of milliseconds, got ${maxAgeMs}`,
    );
  }
  if (options.revokePrevious) {
    // Revocation is delete + create, which no compare-and-set guards: two schedulers could each destroy
    // the other's new key. A leaked key is an operator's decision, not a schedule's.
    throw new KeyStoreError(
      'INVALID_CONFIG',
      'rotateIfOlderThan cannot revoke previous keys: revoke a leaked key with rotateKeyPair(id, { revokePrevious: true }) from one place',
    );
  }
  const current = await rotatable(ctx, keyId);
  if (!ctx.cache.versioned || current.createdAt === undefined) {
    throw new KeyStoreError(
      'UNSUPPORTED',
      `cannot rotate "${keyId}" by age: this store does not keep versions with their write times, so neither the key's age nor a compare-and-set is available. Use rotateKeyPair from one scheduler only`,
      { storeType: ctx.store.type, keyId },
    );
  }
  const ageMs = ctx.now() - current.createdAt.getTime();
  if (ageMs < maxAgeMs) return { rotated: false, kid: current.kid, ageMs };
  try {
    return { rotated: true, ...(await rotateFrom(ctx, keyId, current, options)) };
  } catch (error) {
    if (!isKeyStoreError(error, 'CONFLICT')) throw error;
    // Another replica rotated between our read and our write: its rotation is this period's one.
    const latest = await ctx.cache.readNewest(keyId);
    if (!latest) throw notFound(ctx.store, keyId);
    const latestAge = latest.createdAt ? ctx.now() - latest.createdAt.getTime() : 0;
    return { rotated: false, kid: latest.kid, ageMs: latestAge };
  }
}

/** The current key of `keyId`, after checking that this manager and store can rotate it. */
async function rotatable(ctx: RotationContext, keyId: string): Promise<PublicKeyPair> {
  assertValidKeyId(keyId, ctx.store.type);
  if (!ctx.signer) assertWritable(ctx.store, 'rotate a key');
  const versioned = ctx.cache.versioned;
  if (!versioned && ctx.graceMs > 0) {
    throw new KeyStoreError(
      'UNSUPPORTED',
      `cannot rotate "${keyId}" with a grace period: this store keeps no previous versions, so tokens signed with the old key would stop verifying at once. Use a store with versions (encrypted_file, vault, aws) or set rotationGracePeriodMs: 0 (PHLOW_KEY_ROTATION_GRACE_SECONDS=0)`,
      { storeType: ctx.store.type, keyId },
    );
  }
  const current = await ctx.cache.readNewest(keyId);
  if (!current) throw notFound(ctx.store, keyId, ' Generate it first: there is nothing to rotate.');
  if (versioned && current.version === undefined) {
    throw new KeyStoreError(
      'INTEGRITY',
      `the store declares versions but returned "${keyId}" without one: the adapter breaks the KeyStore contract`,
      { storeType: ctx.store.type, keyId },
    );
  }
  return current;
}

/** When a rotation started now makes its key sign: now for an emergency, else now + this process's delay. */
function activationTime(ctx: RotationContext, emergency: boolean): Date {
  const rotatedAt = ctx.now();
  return new Date(emergency ? rotatedAt : rotatedAt + ctx.delayMs);
}

async function rotateFrom(
  ctx: RotationContext,
  keyId: string,
  current: PublicKeyPair,
  options: RotateOptions,
): Promise<RotationResult> {
  if (ctx.signer) return rotateInside(ctx, ctx.signer, keyId, current, options);
  const { store, cache } = ctx;
  const versioned = store.capabilities.versions;
  const revoke = options.revokePrevious === true;
  const now = revoke || options.now === true;
  const algorithm = options.algorithm === undefined ? current.alg : checkedAlgorithm(options.algorithm);
  const next = await newKeyPems(algorithm);
  const activatesAt = activationTime(ctx, now);
  // Stores that keep an activation time get it with the version; others derive it (rotation-timeline.ts).
  const activation = store.capabilities.activation === true ? { activatesAt } : {};
  try {
    if (revoke) {
      // The contract has no "drop old versions": destroying the id and writing the new key as its first
      // version is the one way every store offers. Between the two writes the id is absent (NOT_FOUND
      // for a replica that reloads just then); for a leaked key that is the lesser harm. The re-read
      // narrows the window in which a rotation by someone else would be destroyed unseen.
      const still = await cache.readNewest(keyId);
      if (still?.version !== current.version) throw changedSinceRead(store, keyId);
      await store.deleteKeyPair(keyId, { destroy: true });
      await store.storeKeyPair(keyId, next.privateKey, next.publicKey, {
        ...(versioned ? { expectedVersion: null } : {}),
        ...activation,
      });
    } else {
      await store.storeKeyPair(keyId, next.privateKey, next.publicKey, {
        ...(versioned ? { expectedVersion: current.version ?? null } : {}),
        ...activation,
      });
      // Emergency marker for stores without an activation time (see rotation-timeline.ts): the same key
      // written twice signs at once, whatever delay the replicas are configured with.
      const marker = now && versioned && store.capabilities.activation !== true;
      const written = marker ? await cache.readNewest(keyId) : undefined;
      if (written && written.publicKey === next.publicKey) {
        await store.storeKeyPair(keyId, next.privateKey, next.publicKey, {
          expectedVersion: written.version ?? null,
        });
      }
    }
  } finally {
    cache.invalidate(keyId);
  }
  const pair = new KeyPair(keyId, next.privateKey, next.publicKey);
  return rotated(ctx, keyId, current, pair, { now, revoke, versioned, activatesAt });
}

/**
 * Rotation on a signer store: the backend makes the new version (compare-and-set on the version read).
 * `now` alone needs the `activation` capability: the marker of other stores (the same key written twice)
 * cannot be written where keys are made inside the backend. `revokePrevious` retires every older version in
 * the backend, which leaves the new key the only one, so it signs at once.
 */
async function rotateInside(
  ctx: RotationContext,
  signer: SignerKeyStore,
  keyId: string,
  current: PublicKeyPair,
  options: RotateOptions,
): Promise<RotationResult> {
  const { store, cache } = ctx;
  const revoke = options.revokePrevious === true;
  const activation = store.capabilities.activation === true;
  if (options.now === true && !revoke && !activation) {
    throw new KeyStoreError(
      'UNSUPPORTED',
      `${store.type} cannot make "${keyId}"'s new key sign at once while the previous one verifies: rotate with revokePrevious (the previous key stops verifying) or without now (the new key signs after rotationDelayMs)`,
      { storeType: store.type, keyId },
    );
  }
  if (options.algorithm !== undefined && checkedAlgorithm(options.algorithm) !== current.alg) {
    throw new KeyStoreError(
      'UNSUPPORTED',
      `${store.type} makes "${keyId}"'s new versions inside the backend with the key's own algorithm (${current.alg}): create a new key id for ${options.algorithm}`,
      { storeType: store.type, keyId },
    );
  }
  const now = revoke || options.now === true;
  const activatesAt = activationTime(ctx, now);
  try {
    await signer.rotateKey(keyId, {
      expectedVersion: current.version!,
      ...(activation ? { activatesAt } : {}),
    });
    if (revoke) {
      const [newest] = await signer.getPublicKeyVersions(keyId);
      if (newest) await signer.retireVersions(keyId, { keepFrom: newest.version });
    }
  } finally {
    cache.invalidate(keyId);
  }
  const view = await cache.view(keyId);
  if (!revoke) await retireExpired(ctx, signer, keyId, view);
  return rotated(ctx, keyId, current, view.newest, { now, revoke, versioned: true, activatesAt });
}

/**
 * Versions past their grace period (no longer verifying, not signing) are removed from the backend at each
 * rotation, so a signer store does not keep old keys that can still sign there forever. A failure is
 * reported as an `error` event and does not fail the rotation: the timeline ignores those versions anyway.
 */
async function retireExpired(
  ctx: RotationContext,
  signer: SignerKeyStore,
  keyId: string,
  view: KeyView,
): Promise<void> {
  const kept = new Set([...view.verifying, view.signing]);
  let oldest = 0;
  view.versions.forEach((pair, i) => {
    if (kept.has(pair)) oldest = i;
  });
  const keepFrom = view.versions[oldest]?.version;
  if (oldest === view.versions.length - 1 || keepFrom === undefined) return;
  await signer.retireVersions(keyId, { keepFrom }).catch((error: unknown) => {
    ctx.emit({ type: 'error', keyId, error });
  });
  ctx.cache.invalidate(keyId);
}

/** The result every replica will agree on, read back from the store, and the `rotated` event. */
async function rotated(
  ctx: RotationContext,
  keyId: string,
  current: PublicKeyPair,
  keyPair: PublicKeyPair,
  how: { now: boolean; revoke: boolean; versioned: boolean; activatesAt: Date },
): Promise<RotationResult> {
  const { now, revoke, versioned } = how;
  const view = await ctx.cache.view(keyId).catch(() => undefined);
  const ours = view?.verifying.find((p) => p.kid === keyPair.kid);
  const writtenAt = ours?.createdAt?.getTime() ?? ctx.now();
  const stored = ctx.store.capabilities.activation === true;
  let activatesAt: Date;
  if (view?.newest.kid === keyPair.kid && view.pendingActivatesAt) activatesAt = view.pendingActivatesAt;
  else if (stored) activatesAt = how.activatesAt;
  else activatesAt = new Date(now || !versioned ? ctx.now() : writtenAt + ctx.delayMs);
  const result: RotationResult = {
    keyPair,
    kid: keyPair.kid,
    previousKid: current.kid,
    activatesAt,
    // Grace runs from when the new key takes over (see rotation-timeline.ts): written, or activated if later.
    previousRetiresAt: new Date(
      revoke ? ctx.now() : Math.max(writtenAt, stored ? activatesAt.getTime() : writtenAt) + ctx.graceMs,
    ),
  };
  ctx.emit({ type: 'rotated', keyId, kid: result.kid, previousKid: result.previousKid });
  return result;
}

/** Audit fields of a finished rotation. */
export function rotationFields(result: RotationResult, options: RotateOptions): AuditFields {
  return {
    kid: result.kid,
    version: result.keyPair.version,
    rotation: options.now === true || options.revokePrevious === true ? 'emergency' : 'staged',
  };
}
