/**
 * The writes KeyManager makes outside a rotation: create (inside a signer store's backend), generate,
 * store (a checked import) and delete. Each write drops the id from this process's cache, so the next read
 * shows it. An explicit replacement (generate with `overwrite`, an import over an existing id) signs at once
 * on a store with the `activation` capability: it is the operator's decision, not a staged rotation.
 */
import { newKeyPems } from './algorithms.js';
import type { KeyStore, SignerKeyStore } from './contract.js';
import { isKeyStoreError, KeyStoreError } from './errors.js';
import { assertValidKeyId } from './key-id.js';
import { KeyPair } from './key-pair.js';
import { alreadyExists, assertWritable, checkedAlgorithm, noPrivateKey } from './manager-errors.js';
import type { GenerateOptions } from './manager-options.js';
import { checkKeyPair } from './pem.js';
import type { PublicKeyPair } from './public-key-pair.js';
import type { RotationContext } from './rotation.js';

export type WriteContext = Pick<RotationContext, 'store' | 'signer' | 'cache' | 'now'>;

/** A new key made inside the signer store's backend; its public half, read back. */
export async function createInside(
  ctx: WriteContext,
  signer: SignerKeyStore,
  keyId: string,
  options: GenerateOptions,
): Promise<PublicKeyPair> {
  const { store, cache } = ctx;
  assertValidKeyId(keyId, store.type);
  if (options.overwrite) {
    throw new KeyStoreError(
      'UNSUPPORTED',
      `a key that never leaves ${store.type} cannot be overwritten: rotate "${keyId}" (rotateKeyPair) or delete it first`,
      { storeType: store.type, keyId },
    );
  }
  try {
    const create = options.algorithm === undefined ? {} : { algorithm: options.algorithm };
    await signer.createKey(keyId, create).catch((e: unknown) => {
      throw isKeyStoreError(e, 'CONFLICT') ? alreadyExists(store, keyId) : e;
    });
  } finally {
    cache.invalidate(keyId);
  }
  const created = (await cache.view(keyId)).signing;
  if (options.algorithm !== undefined && created.alg !== options.algorithm) {
    // A 1.x signer store that predates CreateKeyOptions ignores the option: say so rather than hand back a
    // key of another type. The key exists now; the message says how to remove it.
    throw new KeyStoreError(
      'UNSUPPORTED',
      `${store.type} made a ${created.alg} key for "${keyId}" where ${options.algorithm} was asked: the adapter does not support choosing the algorithm; delete "${keyId}" and create it without one`,
      { storeType: store.type, keyId },
    );
  }
  return created;
}

/** A new pair generated here and stored; on a store with versions, read back with its version. */
export async function generate(ctx: WriteContext, keyId: string, options: GenerateOptions): Promise<KeyPair> {
  const { store, cache } = ctx;
  assertValidKeyId(keyId, store.type);
  if (ctx.signer) throw noPrivateKey(store, keyId, 'generateKeyPair', 'createKey');
  assertWritable(store, 'generate a key');
  const { privateKey, publicKey } = await newKeyPems(checkedAlgorithm(options.algorithm ?? 'EdDSA'));
  if (options.overwrite) {
    await store.storeKeyPair(keyId, privateKey, publicKey, atOnce(ctx));
  } else if (store.capabilities.versions) {
    await store.storeKeyPair(keyId, privateKey, publicKey, { expectedVersion: null }).catch((e: unknown) => {
      throw isKeyStoreError(e, 'CONFLICT') ? alreadyExists(store, keyId) : e;
    });
  } else {
    if ((await store.getPublicKey(keyId)) !== null) throw alreadyExists(store, keyId);
    await store.storeKeyPair(keyId, privateKey, publicKey);
  }
  cache.invalidate(keyId);
  if (cache.versioned) {
    // The same public key read back is this write (or a later write of this very key), so its version is ours.
    const stored = await cache.view(keyId).catch(() => undefined);
    if (stored?.newest.publicKey === publicKey) return stored.newest as KeyPair;
  }
  return new KeyPair(keyId, privateKey, publicKey);
}

/** Stores a checked pair; returns its kid when `withKid` (for the audit event). */
export async function storePair(
  ctx: WriteContext,
  keyId: string,
  privateKey: string,
  publicKey: string,
  withKid: boolean,
  activatesAt?: Date,
): Promise<string | undefined> {
  const { store } = ctx;
  assertValidKeyId(keyId, store.type);
  if (ctx.signer) {
    throw new KeyStoreError(
      'UNSUPPORTED',
      `${store.type} generates its keys inside the backend and accepts no key material: create "${keyId}" there (createKey) instead`,
      { storeType: store.type, keyId },
    );
  }
  assertWritable(store, 'store a key');
  checkKeyPair(privateKey, publicKey, keyId);
  const kid = withKid ? new KeyPair(keyId, privateKey, publicKey).kid : undefined;
  try {
    const activation =
      activatesAt !== undefined && store.capabilities.activation === true ? { activatesAt } : atOnce(ctx);
    await store.storeKeyPair(keyId, privateKey, publicKey, activation);
  } finally {
    ctx.cache.invalidate(keyId);
  }
  return kid;
}

export async function deletePair(ctx: WriteContext, keyId: string, destroy: boolean): Promise<void> {
  assertValidKeyId(keyId, ctx.store.type);
  if (!ctx.signer) assertWritable(ctx.store, 'delete a key');
  try {
    await ctx.store.deleteKeyPair(keyId, { destroy });
  } finally {
    ctx.cache.invalidate(keyId);
  }
}

/** Store options for an explicit replacement: it signs at once where the store keeps activation times. */
function atOnce(ctx: { store: KeyStore; now: () => number }): { activatesAt?: Date } {
  return ctx.store.capabilities.activation === true ? { activatesAt: new Date(ctx.now()) } : {};
}
