/**
 * KeyManager: the API an agent uses. Generates Ed25519 pairs, reads them through a cache, stores pairs it
 * has checked, rotates with a grace period, publishes a JWK Set and signs/verifies with EdDSA.
 *
 * Rotation keeps the previous key readable through the store's `versions` capability instead of writing a
 * second entry (the Python `<id>_new` scheme): the store's current record is always the current key, in the
 * original `private_key` / `public_key` layout, and a previous version is trusted for verification until
 * `rotationGracePeriodMs` after the version that replaced it was written. After that it is retired: no longer
 * published in the JWK Set and no longer accepted by `verify`.
 */

import { generateKeyPair as generateKeyPairCallback } from 'node:crypto';
import { promisify } from 'node:util';
import { type CacheStats, LoadingCache } from './cache.js';
import { defaultEnv, durationMs, positiveInt } from './config.js';
import type { Env, KeyStore, StoredKeyPair, StoredKeyVersion } from './contract.js';
import { ed25519Sign, ed25519Verify, generateEd25519 } from './ed25519.js';
import { isKeyStoreError, KeyStoreError } from './errors.js';
import type { JwkSet, PublicJwk } from './jwk.js';
import { assertValidKeyId } from './key-id.js';
import { KeyPair } from './key-pair.js';
import { checkKeyPair, ed25519PrivateKeyToPem, ed25519PublicKeyToPem } from './pem.js';

export interface KeyManagerCacheOptions {
  /** How long a key read from the store is served from memory. Default: 300 s. Env: `PHLOW_KEY_CACHE_TTL_SECONDS`. 0 disables caching (single-flight still applies). */
  readonly ttlMs?: number;
  /** Most key ids held at once; the least recently used is dropped. Default: 1000. Env: `PHLOW_KEY_CACHE_MAX_ENTRIES`. */
  readonly maxEntries?: number;
  /** How long past its TTL a cached key may still be served while the store fails. Default: 300 s. Env: `PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS`. 0 turns it off. */
  readonly staleIfErrorMs?: number;
}

export type KeyManagerEvent =
  /** A cached key was served past its TTL because the store failed; `error` is the store's error. */
  | { readonly type: 'stale'; readonly keyId: string; readonly staleForMs: number; readonly error: unknown }
  /** A store read failed and nothing stale could be served. */
  | { readonly type: 'error'; readonly keyId: string; readonly error: unknown }
  | { readonly type: 'rotated'; readonly keyId: string; readonly kid: string; readonly previousKid: string };

export interface KeyManagerOptions {
  readonly store: KeyStore;
  readonly cache?: KeyManagerCacheOptions;
  /** How long the previous key keeps verifying after a rotation. Default: 86400 s (24 h). Env: `PHLOW_KEY_ROTATION_GRACE_SECONDS`. */
  readonly rotationGracePeriodMs?: number;
  /** Called for stale reads, failed reads and rotations. Must not throw. */
  readonly onEvent?: (event: KeyManagerEvent) => void;
  /** Where unset options are read from. Default: `process.env`. */
  readonly env?: Env;
  /** Clock, for tests. Default: `Date.now`. */
  readonly now?: () => number;
}

export interface RotationResult {
  readonly keyPair: KeyPair;
  readonly kid: string;
  readonly previousKid: string;
  /** When the previous key stops verifying. */
  readonly previousRetiresAt: Date;
}

export interface KeyManagerStats extends CacheStats {
  /** Entries in the cache now. */
  size: number;
}

const encoder = new TextEncoder();
const bytes = (data: Uint8Array | string): Uint8Array =>
  typeof data === 'string' ? encoder.encode(data) : data;

export class KeyManager {
  readonly store: KeyStore;
  readonly rotationGracePeriodMs: number;
  readonly #pairs: LoadingCache<KeyPair>;
  readonly #versions: LoadingCache<KeyPair[]>;
  readonly #onEvent: (event: KeyManagerEvent) => void;
  readonly #now: () => number;

  constructor(options: KeyManagerOptions) {
    if (!options || typeof options.store?.getPrivateKey !== 'function') {
      throw new KeyStoreError('INVALID_CONFIG', 'KeyManager needs a store: new KeyManager({ store })');
    }
    const env = options.env ?? defaultEnv();
    this.store = options.store;
    this.#now = options.now ?? Date.now;
    this.#onEvent = options.onEvent ?? (() => {});
    this.rotationGracePeriodMs = durationMs(
      options.rotationGracePeriodMs,
      env,
      'PHLOW_KEY_ROTATION_GRACE_SECONDS',
      86_400_000,
    );
    const cacheOptions = {
      ttlMs: durationMs(options.cache?.ttlMs, env, 'PHLOW_KEY_CACHE_TTL_SECONDS', 300_000),
      maxEntries: positiveInt(options.cache?.maxEntries, env, 'PHLOW_KEY_CACHE_MAX_ENTRIES', 1000),
      staleIfErrorMs: durationMs(
        options.cache?.staleIfErrorMs,
        env,
        'PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS',
        300_000,
      ),
      // Serve stale keys through outages only: a revoked token (ACCESS_DENIED) or a tampered store (INTEGRITY)
      // must stop key use at once. Errors that are not KeyStoreErrors come from unmapped failures: outages.
      staleOn: (error: unknown) => !isKeyStoreError(error) || error.code === 'UNAVAILABLE',
      now: this.#now,
    };
    // Current pairs (what signing reads) and version lists (what verification reads) are cached apart, so
    // the signing hot path is one Map lookup keyed by the id itself.
    this.#pairs = new LoadingCache<KeyPair>(cacheOptions);
    this.#versions = new LoadingCache<KeyPair[]>(cacheOptions);
  }

  /** Cache counters: hits, misses, loads (store reads), errors, stale, evictions, size. */
  get stats(): KeyManagerStats {
    const a = this.#pairs.stats;
    const b = this.#versions.stats;
    return {
      hits: a.hits + b.hits,
      misses: a.misses + b.misses,
      loads: a.loads + b.loads,
      errors: a.errors + b.errors,
      stale: a.stale + b.stale,
      evictions: a.evictions + b.evictions,
      size: this.#pairs.size + this.#versions.size,
    };
  }

  /** The current key pair of `keyId`, from the cache when fresh. NOT_FOUND if the store has none. */
  getKeyPair(keyId: string): Promise<KeyPair> {
    // Only ids that passed assertValidKeyId are ever cached, so a hit needs no further check.
    return this.#pairs.peek(keyId) ?? this.#loadKeyPair(keyId);
  }

  async #loadKeyPair(keyId: string): Promise<KeyPair> {
    assertValidKeyId(keyId, this.store.type);
    const pair = await this.#cached(this.#pairs, keyId, () => this.#readCurrent(keyId));
    if (!pair) throw this.#notFound(keyId);
    return pair;
  }

  /** Reads `keyId` from the store now, replacing what the cache held. */
  async refresh(keyId: string): Promise<KeyPair> {
    assertValidKeyId(keyId, this.store.type);
    this.#invalidate(keyId);
    return this.getKeyPair(keyId);
  }

  /**
   * Generates a new Ed25519 pair and stores it. Refuses (CONFLICT) if `keyId` exists, unless `overwrite`
   * is set; to replace a key that is in use, prefer `rotateKeyPair`, which keeps the old one verifying.
   * `algorithm: 'RS256'` makes an RSA-2048 pair instead, as the Python Phlow does, for agents whose tokens
   * Python verifiers must accept.
   */
  async generateKeyPair(
    keyId: string,
    options: { overwrite?: boolean; algorithm?: 'EdDSA' | 'RS256' } = {},
  ): Promise<KeyPair> {
    assertValidKeyId(keyId, this.store.type);
    this.#assertWritable('generate a key');
    const { privateKey, publicKey } = await newPems(options.algorithm ?? 'EdDSA');
    if (options.overwrite) {
      await this.store.storeKeyPair(keyId, privateKey, publicKey);
    } else if (this.store.capabilities.versions) {
      await this.store
        .storeKeyPair(keyId, privateKey, publicKey, { expectedVersion: null })
        .catch((e: unknown) => {
          throw isKeyStoreError(e, 'CONFLICT') ? this.#exists(keyId) : e;
        });
    } else {
      if ((await this.store.getPublicKey(keyId)) !== null) throw this.#exists(keyId);
      await this.store.storeKeyPair(keyId, privateKey, publicKey);
    }
    this.#invalidate(keyId);
    return new KeyPair(keyId, privateKey, publicKey);
  }

  /**
   * Stores a pair after checking that both PEMs parse and that the public key belongs to the private key.
   * Any key type node:crypto reads is accepted, so RSA pairs from older deployments can be migrated.
   */
  async storeKeyPair(keyId: string, privateKey: string, publicKey: string): Promise<void> {
    assertValidKeyId(keyId, this.store.type);
    this.#assertWritable('store a key');
    checkKeyPair(privateKey, publicKey, keyId);
    try {
      await this.store.storeKeyPair(keyId, privateKey, publicKey);
    } finally {
      this.#invalidate(keyId);
    }
  }

  /** Deletes `keyId` (no error if missing). `destroy` removes it beyond recovery where the store can tell. */
  async deleteKeyPair(keyId: string, options: { destroy?: boolean } = {}): Promise<void> {
    assertValidKeyId(keyId, this.store.type);
    this.#assertWritable('delete a key');
    try {
      await this.store.deleteKeyPair(keyId, options);
    } finally {
      this.#invalidate(keyId);
    }
  }

  /**
   * Replaces the current key with a new Ed25519 key. The previous key keeps verifying for the grace period.
   * Needs a store with the `versions` capability unless the grace period is 0. Of concurrent rotations of one
   * id, exactly one wins; the others get CONFLICT and change nothing.
   */
  async rotateKeyPair(keyId: string): Promise<RotationResult> {
    assertValidKeyId(keyId, this.store.type);
    this.#assertWritable('rotate a key');
    const versioned = this.store.capabilities.versions;
    if (!versioned && this.rotationGracePeriodMs > 0) {
      throw new KeyStoreError(
        'UNSUPPORTED',
        `cannot rotate "${keyId}" with a grace period: this store keeps no previous versions, so tokens signed with the old key would stop verifying at once. Use a store with versions (encrypted_file, vault, aws) or set rotationGracePeriodMs: 0 (PHLOW_KEY_ROTATION_GRACE_SECONDS=0)`,
        { storeType: this.store.type, keyId },
      );
    }
    const current = await this.#readCurrent(keyId);
    if (!current) throw this.#notFound(keyId, ' Generate it first: there is nothing to rotate.');
    if (versioned && current.version === undefined) {
      throw new KeyStoreError(
        'INTEGRITY',
        `the store declares versions but returned "${keyId}" without one: the adapter breaks the KeyStore contract`,
        { storeType: this.store.type, keyId },
      );
    }
    const next = newEd25519Pems();
    try {
      await this.store.storeKeyPair(
        keyId,
        next.privateKey,
        next.publicKey,
        versioned ? { expectedVersion: current.version ?? null } : {},
      );
    } finally {
      this.#invalidate(keyId);
    }
    const keyPair = new KeyPair(keyId, next.privateKey, next.publicKey);
    const result: RotationResult = {
      keyPair,
      kid: keyPair.kid,
      previousKid: current.kid,
      previousRetiresAt: new Date(this.#now() + this.rotationGracePeriodMs),
    };
    this.#emit({ type: 'rotated', keyId, kid: result.kid, previousKid: result.previousKid });
    return result;
  }

  /**
   * The public keys that verify signatures of `keyId` now: the current key first, then previous versions
   * still in their grace period.
   */
  async getVerificationKeys(keyId: string): Promise<KeyPair[]> {
    assertValidKeyId(keyId, this.store.type);
    if (!this.store.capabilities.versions || !this.store.getKeyVersions) {
      return [await this.getKeyPair(keyId)];
    }
    const getVersions = this.store.getKeyVersions.bind(this.store);
    const versions = await this.#cached(this.#versions, keyId, async () => {
      const list = await getVersions(keyId);
      // Older versions only count while a current one exists: a deleted id must not keep verifying.
      return list[0]?.current === true ? list.map((v) => toKeyPair(keyId, v)) : undefined;
    });
    if (!versions || versions.length === 0) throw this.#notFound(keyId);
    return this.#inGrace(versions);
  }

  /**
   * A JWK Set of the given ids (every id the store lists when omitted), including keys in their grace
   * period, each with its RFC 7638 thumbprint as `kid`. This is the document verifiers fetch.
   */
  async jwks(keyIds?: readonly string[]): Promise<JwkSet> {
    let ids = keyIds;
    if (!ids) {
      if (!this.store.capabilities.list || !this.store.listKeyIds) {
        throw new KeyStoreError(
          'UNSUPPORTED',
          'this store cannot list its keys: pass the key ids to jwks([...])',
          { storeType: this.store.type },
        );
      }
      ids = await this.store.listKeyIds();
    }
    const keys: PublicJwk[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      for (const pair of await this.getVerificationKeys(id)) {
        if (!seen.has(pair.kid)) {
          seen.add(pair.kid);
          keys.push(pair.jwk);
        }
      }
    }
    return { keys };
  }

  /** Signs `data` with the current Ed25519 key of `keyId` (EdDSA). UNSUPPORTED for other key types. */
  async sign(keyId: string, data: Uint8Array | string): Promise<Uint8Array> {
    const pair = await this.getKeyPair(keyId);
    return ed25519Sign(bytes(data), pair.ed25519Seed());
  }

  /** True if `signature` is a valid EdDSA signature of `data` by the current or an in-grace key of `keyId`. */
  async verify(keyId: string, data: Uint8Array | string, signature: Uint8Array): Promise<boolean> {
    const message = bytes(data);
    for (const pair of await this.getVerificationKeys(keyId)) {
      const publicKey = pair.ed25519Public();
      if (publicKey && ed25519Verify(signature, message, publicKey)) return true;
    }
    return false;
  }

  /** Releases the store's resources. */
  async close(): Promise<void> {
    this.#pairs.clear();
    this.#versions.clear();
    await this.store.close?.();
  }

  async #readCurrent(keyId: string): Promise<KeyPair | undefined> {
    const stored: StoredKeyPair | null =
      this.store.capabilities.readPair && this.store.getKeyPair
        ? await this.store.getKeyPair(keyId)
        : await readHalves(this.store, keyId);
    return stored ? toKeyPair(keyId, stored) : undefined;
  }

  #cached<V>(
    cache: LoadingCache<V>,
    keyId: string,
    load: () => Promise<V | undefined>,
  ): Promise<V | undefined> {
    return cache
      .get(keyId, load, (error, staleForMs) => this.#emit({ type: 'stale', keyId, staleForMs, error }))
      .catch((error: unknown) => {
        this.#emit({ type: 'error', keyId, error });
        throw error;
      });
  }

  #inGrace(versions: KeyPair[]): KeyPair[] {
    const now = this.#now();
    const kept: KeyPair[] = [];
    for (let i = 0; i < versions.length; i++) {
      const version = versions[i]!;
      const replacedAt = i === 0 ? undefined : versions[i - 1]!.createdAt?.getTime();
      if (i === 0 || (replacedAt !== undefined && now < replacedAt + this.rotationGracePeriodMs))
        kept.push(version);
    }
    return kept;
  }

  #invalidate(keyId: string): void {
    this.#pairs.invalidate(keyId);
    this.#versions.invalidate(keyId);
  }

  #assertWritable(what: string): void {
    if (!this.store.capabilities.write) {
      throw new KeyStoreError(
        'UNSUPPORTED',
        `this store is read-only and cannot ${what}: use a writable store such as encrypted_file, vault or aws`,
        { storeType: this.store.type },
      );
    }
  }

  #emit(event: KeyManagerEvent): void {
    try {
      this.#onEvent(event);
    } catch {
      // An event hook must not break key reads.
    }
  }

  #notFound(keyId: string, hint = ''): KeyStoreError {
    return new KeyStoreError(
      'NOT_FOUND',
      `no key pair "${keyId}" in this store: check that the key id matches your agent id and that the store is the one you expect.${hint}`,
      { storeType: this.store.type, keyId },
    );
  }

  #exists(keyId: string): KeyStoreError {
    return new KeyStoreError(
      'CONFLICT',
      `key "${keyId}" already exists: rotate it (rotateKeyPair) to replace it safely, or pass { overwrite: true }`,
      { storeType: this.store.type, keyId },
    );
  }
}

/** A fresh Ed25519 pair as PKCS#8 / SPKI PEMs. */
export function newEd25519Pems(): { privateKey: string; publicKey: string } {
  const { seed, publicKey } = generateEd25519();
  try {
    return { privateKey: ed25519PrivateKeyToPem(seed), publicKey: ed25519PublicKeyToPem(publicKey) };
  } finally {
    seed.fill(0);
  }
}

/**
 * A fresh pair for `algorithm` as PKCS#8 / SPKI PEMs. RS256: RSA-2048, exponent 65537, unencrypted PKCS#8,
 * byte for byte the layout the Python Phlow's key manager writes (cryptography's PKCS8 / SubjectPublicKeyInfo).
 */
async function newPems(algorithm: string): Promise<{ privateKey: string; publicKey: string }> {
  if (algorithm === 'EdDSA') return newEd25519Pems();
  if (algorithm === 'RS256') {
    // Async: RSA key generation takes tens of milliseconds, too long to block the event loop.
    return promisify(generateKeyPairCallback)('rsa', {
      modulusLength: 2048,
      publicExponent: 0x10001,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
  }
  throw new KeyStoreError(
    'UNSUPPORTED',
    'algorithm must be "EdDSA" (Ed25519, the default) or "RS256" (RSA-2048)',
  );
}

async function readHalves(store: KeyStore, keyId: string): Promise<StoredKeyPair | null> {
  const [privateKey, publicKey] = await Promise.all([store.getPrivateKey(keyId), store.getPublicKey(keyId)]);
  if (privateKey === null && publicKey === null) return null;
  if (privateKey === null || publicKey === null) {
    throw new KeyStoreError(
      'INVALID_KEY',
      `key "${keyId}" has a ${privateKey === null ? 'public' : 'private'} key but no ${privateKey === null ? 'private' : 'public'} key: store both halves`,
      { storeType: store.type, keyId },
    );
  }
  return { privateKey, publicKey };
}

function toKeyPair(keyId: string, stored: StoredKeyPair | StoredKeyVersion): KeyPair {
  return new KeyPair(keyId, stored.privateKey, stored.publicKey, stored.version, stored.createdAt);
}
