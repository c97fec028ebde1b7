/**
 * KeyManager: the API an agent uses. Generates Ed25519 pairs, reads them through a cache, stores pairs it
 * has checked, rotates with a grace period, publishes a JWK Set and signs/verifies (EdDSA; RS256 for RSA keys).
 *
 * Rotation keeps the previous key readable through the store's `versions` capability instead of writing a
 * second entry (the Python `<id>_new` scheme): the store's current record is always the current key, in the
 * original `private_key` / `public_key` layout, and a previous version is trusted for verification until
 * `rotationGracePeriodMs` after the version that replaced it was written. After that it is retired: no longer
 * published in the JWK Set and no longer accepted by `verify`.
 *
 * A new version verifies at once but signs only from `rotationDelayMs` after it was written (staged
 * activation, see rotation-timeline.ts), so every verifier has fetched it before it signs.
 *
 * On a store that signs inside its backend (capability `signer`: Vault Transit, an HSM) the same logic
 * runs on public-only pairs (PublicKeyPair): the store creates and rotates the keys, signs with the version
 * the timeline picks (pinned during the delay), and no method hands out a private key (`getKeyPair`,
 * `refresh` and `generateKeyPair`, typed to return a full KeyPair, are UNSUPPORTED there; `getPublicKeyPair`
 * and `createKey` work on every store).
 */

import { createHash, generateKeyPair as generateKeyPairCallback } from 'node:crypto';
import { promisify } from 'node:util';
import {
  auditCaller,
  auditFailure,
  auditKeyId,
  auditSinkFromEnv,
  isoTime,
  type KeyAuditEvent,
  type KeyAuditOperation,
} from './audit.js';
import { type CacheStats, LoadingCache } from './cache.js';
import { assertRotationSettings, defaultEnv, durationMs, positiveInt } from './config.js';
import {
  type Env,
  isSignerStore,
  type KeyStore,
  type PublicKeyVersion,
  type SignerKeyStore,
  type StoredKeyPair,
  type StoredKeyVersion,
} from './contract.js';
import { generateEd25519 } from './ed25519.js';
import { isKeyStoreError, KeyStoreError } from './errors.js';
import type { JwkSet } from './jwk.js';
import { buildJwkSet } from './jwk-set.js';
import { assertValidKeyId } from './key-id.js';
import { KeyPair } from './key-pair.js';
import { checkKeyPair, ed25519PrivateKeyToPem, ed25519PublicKeyToPem } from './pem.js';
import { PublicKeyPair } from './public-key-pair.js';
import { rotationTimeline, type Timeline } from './rotation-timeline.js';
import { signWith, verifyWith } from './signer.js';

/** A cached version list, with when it was read (for the refetch cooldown). */
interface VersionList {
  readonly pairs: PublicKeyPair[];
  readonly loadedAt: number;
}

export interface KeyManagerCacheOptions {
  /** How long a key read from the store is served from memory. Default: 300 s. Env: `PHLOW_KEY_CACHE_TTL_SECONDS`. 0 disables caching (single-flight still applies). */
  readonly ttlMs?: number;
  /** Most key ids held at once; the least recently used is dropped. Default: 1000. Env: `PHLOW_KEY_CACHE_MAX_ENTRIES`. */
  readonly maxEntries?: number;
  /** How long past its TTL a cached key may still be served while the store fails. Default: 300 s. Env: `PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS`. 0 turns it off. */
  readonly staleIfErrorMs?: number;
  /**
   * When `verify` finds no cached key that accepts a signature, it re-reads the id's versions once if its
   * cached list is at least this old, so a key another process just wrote verifies without waiting for the
   * TTL, while a flood of bad signatures costs at most one store read per id per cooldown.
   * Default: 30 s (jose's remote JWK Set uses the same). Env: `PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS`.
   */
  readonly refetchCooldownMs?: number;
  /**
   * Share of the TTL, at its end, in which reading a cached key also reloads it in the background (one reload
   * at a time per id), so ids in steady use never wait for the store. Default: 0.2 (the last 20%). 0 turns it off.
   */
  readonly refreshAheadRatio?: number;
}

export type KeyManagerEvent =
  /** A cached key was served past its TTL because the store failed; `error` is the store's error. */
  | { readonly type: 'stale'; readonly keyId: string; readonly staleForMs: number; readonly error: unknown }
  /** A store read failed and nothing stale could be served. */
  | { readonly type: 'error'; readonly keyId: string; readonly error: unknown }
  | { readonly type: 'rotated'; readonly keyId: string; readonly kid: string; readonly previousKid: string }
  /** One key access (see audit.ts): emitted only when an `onEvent` hook or `PHLOW_KEY_AUDIT_LOG` is set. */
  | KeyAuditEvent;

/** The fields of an audit event an operation fills in; the rest (time, store, id, duration, caller) are common. */
export type AuditFields = Omit<
  Partial<KeyAuditEvent>,
  'type' | 'time' | 'operation' | 'storeType' | 'keyId' | 'durationMs' | 'caller'
>;

/** The names of AuditFields, for `recordAudit` to copy nothing else. */
const AUDIT_FIELD_NAMES = [
  'outcome',
  'kid',
  'version',
  'errorCode',
  'source',
  'private',
  'valid',
  'rotation',
  'messageSha256',
  'tool',
  'targetStoreType',
] as const satisfies readonly (keyof AuditFields)[];

/** Per-call options of the audited operations. */
export interface KeyAccessOptions {
  /** Who asks, recorded in this call's audit event instead of `KeyManagerOptions.caller`. Not secret: an identity, never a credential. */
  readonly caller?: string;
}

export interface KeyManagerOptions {
  readonly store: KeyStore;
  readonly cache?: KeyManagerCacheOptions;
  /** How long the previous key keeps verifying after a rotation. Default: 86400 s (24 h). Env: `PHLOW_KEY_ROTATION_GRACE_SECONDS`. */
  readonly rotationGracePeriodMs?: number;
  /**
   * How long after a rotation the new key starts signing; it verifies and is in the JWK Set at once.
   * Default: 900 s, so that a verifier has seen the new key before it signs when it caches a KeyManager's
   * JWK Set (300 s TTL) for up to 600 s (jose's `createRemoteJWKSet` default); 0 when the grace period is 0.
   * 0 switches at once. Env: `PHLOW_KEY_ROTATION_DELAY_SECONDS`.
   */
  readonly rotationDelayMs?: number;
  /**
   * Called for stale reads, failed reads, rotations and, when set, an audit event (`type: 'audit'`) for every
   * key access: generate, store, read of private material, sign, verify, rotate, revoke, delete, destroy.
   * Must not throw. `PHLOW_KEY_AUDIT_LOG` adds a JSON-lines sink for the audit events beside it.
   */
  readonly onEvent?: (event: KeyManagerEvent) => void;
  /** Identity recorded in audit events (a service or user name, never a credential). Default: none. Env: `PHLOW_KEY_AUDIT_CALLER`. */
  readonly caller?: string;
  /** Record the SHA-256 of signed and verified messages in audit events. Default: false (no trace of messages). */
  readonly auditMessageHash?: boolean;
  /** Where unset options are read from. Default: `process.env`. */
  readonly env?: Env;
  /** Clock, for tests. Default: `Date.now`. */
  readonly now?: () => number;
}

/** Per-call cache control for `getKeyPair`. */
export interface GetKeyPairOptions extends KeyAccessOptions {
  /** Read the store now, whatever the cache holds (a read already in flight is joined). Default: false. */
  readonly forceFetch?: boolean;
  /** Use a cached key only if it was read from the store less than this long ago. Default: the cache TTL. */
  readonly maxAgeMs?: number;
}

export interface RotationResult {
  /** The new key: a KeyPair on a store with exportable keys, public-only on a signer store. */
  readonly keyPair: PublicKeyPair;
  readonly kid: string;
  readonly previousKid: string;
  /** When the new key starts signing: the store's write time + `rotationDelayMs`, or now for `now`. */
  readonly activatesAt: Date;
  /** When the previous key stops verifying; now for `revokePrevious`. */
  readonly previousRetiresAt: Date;
}

export interface RotateOptions {
  /**
   * Emergency: the new key signs at once on every replica (within one cache TTL), without waiting for
   * `rotationDelayMs`. Verifiers that have not refreshed yet reject its signatures until they do. The
   * previous key keeps verifying for the grace period. Default: false.
   */
  readonly now?: boolean;
  /**
   * Emergency for a leaked key (implies `now`): destroys every previous version, so the previous key
   * stops verifying in every KeyManager within one cache TTL (plus the stale window while the store is
   * down). Default: false.
   */
  readonly revokePrevious?: boolean;
}

/** What `rotateIfOlderThan` did. */
export type ScheduledRotationResult =
  | ({ readonly rotated: true } & RotationResult)
  | {
      readonly rotated: false;
      /** The current key, which is younger than the limit (or was just rotated by another process). */
      readonly kid: string;
      /** How long ago the current key was written. */
      readonly ageMs: number;
    };

/** Where a key id stands in its rotation timeline (see `rotationState`). */
export interface RotationState {
  /** The newest version: what the store returns as current and what Python readers see. */
  readonly current: PublicKeyPair;
  /** The key `sign` uses now. */
  readonly signing: PublicKeyPair;
  /** Keys that verify now, newest first. */
  readonly verifying: PublicKeyPair[];
  /** When `current` starts signing, if it does not yet. */
  readonly activatesAt: Date | undefined;
  /** How long ago `current` was written, if the store records it. */
  readonly ageMs: number | undefined;
}

export interface KeyManagerStats extends CacheStats {
  /** Entries in the cache now. */
  size: number;
}

/** The one key of the id-list cache. */
const ID_LIST = 'ids';

const encoder = new TextEncoder();
const bytes = (data: Uint8Array | string): Uint8Array =>
  typeof data === 'string' ? encoder.encode(data) : data;

export class KeyManager {
  readonly store: KeyStore;
  readonly rotationGracePeriodMs: number;
  readonly rotationDelayMs: number;
  readonly refetchCooldownMs: number;
  /** KeyPairs, or PublicKeyPairs on a signer store. */
  readonly #pairs: LoadingCache<PublicKeyPair>;
  /** The store, when it signs inside its backend. */
  readonly #signer: SignerKeyStore | undefined;
  readonly #versions: LoadingCache<VersionList>;
  /** Refetches on a miss in flight, one per id. */
  readonly #refetches = new Map<string, Promise<VersionList | undefined>>();
  /** When each id was last refetched on a miss; at most `#maxEntries` ids. */
  readonly #lastRefetch = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #ids: LoadingCache<readonly string[]>;
  readonly #onEvent: (event: KeyManagerEvent) => void;
  readonly #now: () => number;
  /** Set once: when false, operations skip every audit step (the sign hot path stays one branch). */
  readonly #auditing: boolean;
  readonly #caller: string | undefined;
  readonly #hashMessages: boolean;
  /** The kid each id last signed with in this process, to record when a staged key starts signing. */
  readonly #signingKids = new Map<string, string>();

  constructor(options: KeyManagerOptions) {
    if (!options || typeof options.store?.getPrivateKey !== 'function') {
      throw new KeyStoreError('INVALID_CONFIG', 'KeyManager needs a store: new KeyManager({ store })');
    }
    const env = options.env ?? defaultEnv();
    this.store = options.store;
    if (options.store.capabilities.signer === true && !isSignerStore(options.store)) {
      throw new KeyStoreError(
        'INVALID_CONFIG',
        'the store declares capabilities.signer but lacks sign, getPublicKeyVersions, createKey, rotateKey or retireVersions: the adapter breaks the KeyStore contract 1.1',
        { storeType: options.store.type },
      );
    }
    this.#signer = isSignerStore(options.store) ? options.store : undefined;
    this.#now = options.now ?? Date.now;
    const hook = options.onEvent;
    const sink = auditSinkFromEnv(env);
    this.#auditing = hook !== undefined || sink !== undefined;
    this.#onEvent =
      hook && sink
        ? (event) => {
            if (event.type === 'audit') sink(event);
            hook(event);
          }
        : sink
          ? (event) => {
              if (event.type === 'audit') sink(event);
            }
          : (hook ?? (() => {}));
    this.#caller = auditCaller(options.caller ?? env.PHLOW_KEY_AUDIT_CALLER);
    this.#hashMessages = options.auditMessageHash === true;
    this.rotationGracePeriodMs = durationMs(
      options.rotationGracePeriodMs,
      env,
      'PHLOW_KEY_ROTATION_GRACE_SECONDS',
      86_400_000,
    );
    this.rotationDelayMs = durationMs(
      options.rotationDelayMs,
      env,
      'PHLOW_KEY_ROTATION_DELAY_SECONDS',
      this.rotationGracePeriodMs === 0 ? 0 : 900_000,
    );
    this.refetchCooldownMs = durationMs(
      options.cache?.refetchCooldownMs,
      env,
      'PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS',
      30_000,
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
      refreshAheadRatio: refreshAheadRatio(options.cache?.refreshAheadRatio),
      // Serve stale keys through outages only: a revoked token (ACCESS_DENIED) or a tampered store (INTEGRITY)
      // must stop key use at once. Errors that are not KeyStoreErrors come from unmapped failures: outages.
      staleOn: (error: unknown) => !isKeyStoreError(error) || error.code === 'UNAVAILABLE',
      now: this.#now,
    };
    // Current pairs (what signing reads) and version lists (what verification reads) are cached apart, so
    // the signing hot path is one Map lookup keyed by the id itself.
    assertRotationSettings({
      graceMs: this.rotationGracePeriodMs,
      delayMs: this.rotationDelayMs,
      ttlMs: cacheOptions.ttlMs,
      staleIfErrorMs: cacheOptions.staleIfErrorMs,
    });
    this.#maxEntries = cacheOptions.maxEntries;
    this.#pairs = new LoadingCache<PublicKeyPair>(cacheOptions);
    this.#versions = new LoadingCache<VersionList>(cacheOptions);
    this.#ids = new LoadingCache<readonly string[]>(cacheOptions);
  }

  /** Cache counters over keys, version lists and the id list: hits, misses, loads (store reads), errors, stale, evictions, refreshes, size. */
  get stats(): KeyManagerStats {
    const total: KeyManagerStats = {
      hits: 0,
      misses: 0,
      loads: 0,
      errors: 0,
      stale: 0,
      evictions: 0,
      refreshes: 0,
      size: 0,
    };
    for (const cache of [this.#pairs, this.#versions, this.#ids]) {
      for (const [name, value] of Object.entries(cache.stats)) total[name as keyof CacheStats] += value;
      total.size += cache.size;
    }
    return total;
  }

  /**
   * The current key pair of `keyId`, from the cache when fresh. NOT_FOUND if the store has none.
   * `forceFetch` / `maxAgeMs` ask for a fresher read than the TTL for this call; a failed forced read throws
   * instead of serving a stale key. UNSUPPORTED on a signer store, whose private keys never leave it: use
   * `getPublicKeyPair` there.
   */
  getKeyPair(keyId: string, options?: GetKeyPairOptions): Promise<KeyPair> {
    if (!this.#auditing) return this.#getKeyPair(keyId, options);
    const source = options?.forceFetch === true ? 'store' : this.#sourceOf(this.#pairs, keyId);
    return this.#readAudited(keyId, options, source, () => this.#getKeyPair(keyId, options));
  }

  /** The private pair of `keyId`, unaudited (the callers record the access). UNSUPPORTED on a signer store. */
  #getKeyPair(keyId: string, options?: GetKeyPairOptions): Promise<KeyPair> {
    if (this.#signer) return Promise.reject(this.#noPrivateKey(keyId, 'getKeyPair'));
    // Every cached pair of a store with exportable keys is a KeyPair (see #readCurrent).
    return this.getPublicKeyPair(keyId, options) as Promise<KeyPair>;
  }

  /**
   * The public half of the current key of `keyId`, on every store (a signer store included), with the same
   * cache and options as `getKeyPair`. Not an audited access: it hands out nothing private (as `rotationState`,
   * `getVerificationKeys` and `jwks`).
   */
  getPublicKeyPair(keyId: string, options?: GetKeyPairOptions): Promise<PublicKeyPair> {
    // Only ids that passed assertValidKeyId are ever cached, so a hit needs no further check.
    if (options === undefined) return this.#pairs.peek(keyId) ?? this.#loadKeyPair(keyId);
    return this.#fetchKeyPair(keyId, options);
  }

  /** A read that hands out private key material, recorded as such. */
  #readAudited(
    keyId: string,
    options: KeyAccessOptions | undefined,
    source: 'cache' | 'store',
    read: () => Promise<KeyPair>,
  ): Promise<KeyPair> {
    return this.#audited('read', keyId, options, read, (pair) => ({
      kid: pair.kid,
      version: pair.version,
      source,
      private: true,
    }));
  }

  async #fetchKeyPair(keyId: string, options: GetKeyPairOptions): Promise<PublicKeyPair> {
    assertValidKeyId(keyId, this.store.type);
    const maxAgeMs = options.forceFetch === true ? 0 : options.maxAgeMs;
    if (maxAgeMs === undefined) return this.getPublicKeyPair(keyId);
    if (typeof maxAgeMs !== 'number' || !(maxAgeMs >= 0)) {
      throw new KeyStoreError('INVALID_CONFIG', 'maxAgeMs must be a number of milliseconds, 0 or more', {
        storeType: this.store.type,
        keyId,
      });
    }
    const pair = await this.#pairs
      .fetch(keyId, () => this.#readCurrent(keyId), maxAgeMs)
      .catch((error: unknown) => {
        this.#emit({ type: 'error', keyId, error });
        throw error;
      });
    if (!pair) throw this.#notFound(keyId);
    return pair;
  }

  /**
   * The verification key of `keyId` (current, or previous in its grace period) whose RFC 7638 thumbprint is
   * `kid`: the key a token's `kid` header names. NOT_FOUND if none has it (retired, or never this id's).
   */
  async getKeyByKid(keyId: string, kid: string): Promise<PublicKeyPair> {
    const match = (await this.#timeline(keyId)).verifying.find((pair) => pair.kid === kid);
    if (match) return match;
    // The kid is not echoed: it comes from a token, that is, from anyone.
    throw new KeyStoreError(
      'NOT_FOUND',
      `no verification key of "${keyId}" has that kid: the key may be retired (past its grace period), or the token was signed by another id or store`,
      { storeType: this.store.type, keyId },
    );
  }

  /** Empties the cache (keys, version lists, the id list), e.g. between tests. The store stays open. */
  clear(): void {
    this.#pairs.clear();
    this.#versions.clear();
    this.#ids.clear();
  }

  async #loadKeyPair(keyId: string): Promise<PublicKeyPair> {
    assertValidKeyId(keyId, this.store.type);
    const pair = await this.#cached(this.#pairs, keyId, () => this.#readCurrent(keyId));
    if (!pair) throw this.#notFound(keyId);
    return pair;
  }

  /** Reads `keyId` from the store now, replacing what the cache held. UNSUPPORTED on a signer store (see getKeyPair). */
  refresh(keyId: string, options?: KeyAccessOptions): Promise<KeyPair> {
    const read = async () => {
      assertValidKeyId(keyId, this.store.type);
      if (this.#signer) throw this.#noPrivateKey(keyId, 'refresh');
      this.#invalidate(keyId);
      return this.#getKeyPair(keyId);
    };
    return this.#auditing ? this.#readAudited(keyId, options, 'store', read) : read();
  }

  /**
   * A new Ed25519 key under `keyId`, on every store: generated inside the backend on a signer store,
   * generated here and stored otherwise (as `generateKeyPair`). Refuses (CONFLICT) if `keyId` exists, unless
   * `overwrite` is set (not on a signer store: rotate there). Returns its public half, read back.
   */
  createKey(keyId: string, options: { overwrite?: boolean } & KeyAccessOptions = {}): Promise<PublicKeyPair> {
    if (!this.#signer) return this.generateKeyPair(keyId, options);
    const signer = this.#signer;
    return this.#audited(
      'generate',
      keyId,
      options,
      async () => {
        assertValidKeyId(keyId, this.store.type);
        if (options.overwrite) {
          throw new KeyStoreError(
            'UNSUPPORTED',
            `a key that never leaves ${this.store.type} cannot be overwritten: rotate "${keyId}" (rotateKeyPair) or delete it first`,
            { storeType: this.store.type, keyId },
          );
        }
        try {
          await signer.createKey(keyId).catch((e: unknown) => {
            throw isKeyStoreError(e, 'CONFLICT') ? this.#exists(keyId) : e;
          });
        } finally {
          this.#invalidate(keyId);
        }
        return this.getPublicKeyPair(keyId);
      },
      (pair) => ({ kid: pair.kid, version: pair.version }),
    );
  }

  /**
   * Generates a new Ed25519 pair and stores it. Refuses (CONFLICT) if `keyId` exists, unless `overwrite`
   * is set; to replace a key that is in use, prefer `rotateKeyPair`, which keeps the old one verifying.
   * On a store with versions the pair is read back once (which also fills the cache), so the result carries
   * the `version` and `createdAt` the store gave it.
   * `algorithm: 'RS256'` makes an RSA-2048 pair instead, as the Python Phlow does, for agents whose tokens
   * Python verifiers must accept.
   */
  generateKeyPair(
    keyId: string,
    options: { overwrite?: boolean; algorithm?: 'EdDSA' | 'RS256' } & KeyAccessOptions = {},
  ): Promise<KeyPair> {
    return this.#audited(
      'generate',
      keyId,
      options,
      () => this.#generate(keyId, options),
      (pair) => ({ kid: pair.kid, version: pair.version }),
    );
  }

  async #generate(
    keyId: string,
    options: { overwrite?: boolean; algorithm?: 'EdDSA' | 'RS256' },
  ): Promise<KeyPair> {
    assertValidKeyId(keyId, this.store.type);
    if (this.#signer) throw this.#noPrivateKey(keyId, 'generateKeyPair', 'createKey');
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
    if (this.store.capabilities.versions) {
      // The same public key read back is this write (or a later write of this very key), so its version is ours.
      const stored = await this.#getKeyPair(keyId).catch(() => undefined);
      if (stored?.publicKey === publicKey) return stored;
    }
    return new KeyPair(keyId, privateKey, publicKey);
  }

  /**
   * Stores a pair after checking that both PEMs parse and that the public key belongs to the private key.
   * Any key type node:crypto reads is accepted, so RSA pairs from older deployments can be migrated.
   */
  storeKeyPair(
    keyId: string,
    privateKey: string,
    publicKey: string,
    options?: KeyAccessOptions,
  ): Promise<void> {
    let kid: string | undefined;
    return this.#audited(
      'store',
      keyId,
      options,
      async () => {
        assertValidKeyId(keyId, this.store.type);
        if (this.#signer) {
          throw new KeyStoreError(
            'UNSUPPORTED',
            `${this.store.type} generates its keys inside the backend and accepts no key material: create "${keyId}" there (createKey) instead`,
            { storeType: this.store.type, keyId },
          );
        }
        this.#assertWritable('store a key');
        checkKeyPair(privateKey, publicKey, keyId);
        if (this.#auditing) kid = new KeyPair(keyId, privateKey, publicKey).kid;
        try {
          await this.store.storeKeyPair(keyId, privateKey, publicKey);
        } finally {
          this.#invalidate(keyId);
        }
      },
      () => ({ kid }),
    );
  }

  /** Deletes `keyId` (no error if missing). `destroy` removes it beyond recovery where the store can tell. */
  deleteKeyPair(keyId: string, options: { destroy?: boolean } & KeyAccessOptions = {}): Promise<void> {
    return this.#audited(options.destroy === true ? 'destroy' : 'delete', keyId, options, async () => {
      assertValidKeyId(keyId, this.store.type);
      if (!this.#signer) this.#assertWritable('delete a key');
      try {
        await this.store.deleteKeyPair(keyId, { destroy: options.destroy === true });
      } finally {
        this.#invalidate(keyId);
      }
    });
  }

  /**
   * Replaces the current key with a new Ed25519 key. The new key verifies and is in the JWK Set at once,
   * and starts signing `rotationDelayMs` after the store wrote it (`activatesAt`), in every KeyManager
   * by itself; the previous key keeps verifying for the grace period. Needs a store with the `versions`
   * capability unless the grace period is 0. Of concurrent rotations of one id, exactly one wins; the
   * others get CONFLICT and change nothing. See `RotateOptions` for emergency rotation.
   */
  rotateKeyPair(keyId: string, options: RotateOptions & KeyAccessOptions = {}): Promise<RotationResult> {
    return this.#audited(
      options.revokePrevious === true ? 'revoke' : 'rotate',
      keyId,
      options,
      async () => this.#rotateFrom(keyId, await this.#rotatable(keyId), options),
      (result) => rotationFields(result, options),
    );
  }

  /**
   * Scheduled rotation: rotates `keyId` only if its current key was written at least `maxAgeMs` ago.
   * Safe to run from any number of replicas and cron jobs at once: the write is a compare-and-set on the
   * version that was read, so exactly one of them rotates and the others report `rotated: false`.
   */
  rotateIfOlderThan(
    keyId: string,
    maxAgeMs: number,
    options: RotateOptions & KeyAccessOptions = {},
  ): Promise<ScheduledRotationResult> {
    // Recorded only when it rotated (or failed): a check that finds the key young touches no key.
    return this.#audited(
      'rotate',
      keyId,
      options,
      () => this.#rotateIfOlderThan(keyId, maxAgeMs, options),
      (result) => (result.rotated ? rotationFields(result, options) : null),
    );
  }

  async #rotateIfOlderThan(
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
    const current = await this.#rotatable(keyId);
    if (!this.#versioned || current.createdAt === undefined) {
      throw new KeyStoreError(
        'UNSUPPORTED',
        `cannot rotate "${keyId}" by age: this store does not keep versions with their write times, so neither the key's age nor a compare-and-set is available. Use rotateKeyPair from one scheduler only`,
        { storeType: this.store.type, keyId },
      );
    }
    const ageMs = this.#now() - current.createdAt.getTime();
    if (ageMs < maxAgeMs) return { rotated: false, kid: current.kid, ageMs };
    try {
      return { rotated: true, ...(await this.#rotateFrom(keyId, current, options)) };
    } catch (error) {
      if (!isKeyStoreError(error, 'CONFLICT')) throw error;
      // Another replica rotated between our read and our write: its rotation is this period's one.
      const latest = await this.#readCurrent(keyId);
      if (!latest) throw this.#notFound(keyId);
      const latestAge = latest.createdAt ? this.#now() - latest.createdAt.getTime() : 0;
      return { rotated: false, kid: latest.kid, ageMs: latestAge };
    }
  }

  /** The current key of `keyId`, after checking that this manager and store can rotate it. */
  async #rotatable(keyId: string): Promise<PublicKeyPair> {
    assertValidKeyId(keyId, this.store.type);
    if (!this.#signer) this.#assertWritable('rotate a key');
    const versioned = this.#versioned;
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
    return current;
  }

  async #rotateFrom(keyId: string, current: PublicKeyPair, options: RotateOptions): Promise<RotationResult> {
    if (this.#signer) return this.#rotateInside(this.#signer, keyId, current, options);
    const versioned = this.store.capabilities.versions;
    const revoke = options.revokePrevious === true;
    const now = revoke || options.now === true;
    const next = newEd25519Pems();
    try {
      if (revoke) {
        // The contract has no "drop old versions": destroying the id and writing the new key as its first
        // version is the one way every store offers. Between the two writes the id is absent (NOT_FOUND
        // for a replica that reloads just then); for a leaked key that is the lesser harm. The re-read
        // narrows the window in which a rotation by someone else would be destroyed unseen.
        const still = await this.#readCurrent(keyId);
        if (still?.version !== current.version) {
          throw new KeyStoreError(
            'CONFLICT',
            `key "${keyId}" changed since it was read (another rotation?): check \`phlow-keys list\` and retry`,
            { storeType: this.store.type, keyId },
          );
        }
        await this.store.deleteKeyPair(keyId, { destroy: true });
        await this.store.storeKeyPair(
          keyId,
          next.privateKey,
          next.publicKey,
          versioned ? { expectedVersion: null } : {},
        );
      } else {
        await this.store.storeKeyPair(
          keyId,
          next.privateKey,
          next.publicKey,
          versioned ? { expectedVersion: current.version ?? null } : {},
        );
        // Emergency marker (see rotation-timeline.ts): the same key written twice signs at once, whatever
        // delay the replicas are configured with.
        const written = now && versioned ? await this.#readCurrent(keyId) : undefined;
        if (written && written.publicKey === next.publicKey) {
          await this.store.storeKeyPair(keyId, next.privateKey, next.publicKey, {
            expectedVersion: written.version ?? null,
          });
        }
      }
    } finally {
      this.#invalidate(keyId);
    }
    return this.#rotated(keyId, current, new KeyPair(keyId, next.privateKey, next.publicKey), {
      now,
      revoke,
      versioned,
    });
  }

  /**
   * Rotation on a signer store: the backend makes the new version (compare-and-set on the version read).
   * `now` alone is refused: its marker (the same key written twice, see rotation-timeline.ts) cannot be
   * written where keys are made inside the backend. `revokePrevious` retires every older version in the
   * backend, which leaves the new key the only one, so it signs at once.
   */
  async #rotateInside(
    signer: SignerKeyStore,
    keyId: string,
    current: PublicKeyPair,
    options: RotateOptions,
  ): Promise<RotationResult> {
    const revoke = options.revokePrevious === true;
    if (options.now === true && !revoke) {
      throw new KeyStoreError(
        'UNSUPPORTED',
        `${this.store.type} cannot make "${keyId}"'s new key sign at once while the previous one verifies: rotate with revokePrevious (the previous key stops verifying) or without now (the new key signs after rotationDelayMs)`,
        { storeType: this.store.type, keyId },
      );
    }
    try {
      await signer.rotateKey(keyId, { expectedVersion: current.version! });
      if (revoke) {
        const [newest] = await signer.getPublicKeyVersions(keyId);
        if (newest) await signer.retireVersions(keyId, { keepFrom: newest.version });
      }
    } finally {
      this.#invalidate(keyId);
    }
    const list = await this.#readVersions(keyId);
    const newest = list?.pairs[0];
    if (!list || !newest) throw this.#notFound(keyId);
    if (!revoke) await this.#retireExpired(signer, keyId, list);
    return this.#rotated(keyId, current, newest, { now: revoke, revoke, versioned: true });
  }

  /**
   * Versions past their grace period (no longer verifying, not signing) are removed from the backend at each
   * rotation, so a signer store does not keep old keys that can still sign there forever. A failure is
   * reported as an `error` event and does not fail the rotation: the timeline ignores those versions anyway.
   */
  async #retireExpired(signer: SignerKeyStore, keyId: string, list: VersionList): Promise<void> {
    const timeline = this.#timelineOf(list);
    const kept = new Set([...timeline.verifying, timeline.signing]);
    let oldest = 0;
    list.pairs.forEach((pair, i) => {
      if (kept.has(pair)) oldest = i;
    });
    const keepFrom = list.pairs[oldest]?.version;
    if (oldest === list.pairs.length - 1 || keepFrom === undefined) return;
    await signer.retireVersions(keyId, { keepFrom }).catch((error: unknown) => {
      this.#emit({ type: 'error', keyId, error });
    });
    this.#invalidate(keyId);
  }

  async #rotated(
    keyId: string,
    current: PublicKeyPair,
    keyPair: PublicKeyPair,
    how: { now: boolean; revoke: boolean; versioned: boolean },
  ): Promise<RotationResult> {
    const { now, revoke, versioned } = how;
    // Read back the timeline every replica will compute, so the times reported are the store's.
    const state = await this.rotationState(keyId).catch(() => undefined);
    const ours = state?.verifying.find((p) => p.kid === keyPair.kid);
    const writtenAt = ours?.createdAt?.getTime() ?? this.#now();
    const result: RotationResult = {
      keyPair,
      kid: keyPair.kid,
      previousKid: current.kid,
      activatesAt:
        state?.current.kid === keyPair.kid && state.activatesAt
          ? state.activatesAt
          : new Date(now || !versioned ? this.#now() : writtenAt + this.rotationDelayMs),
      previousRetiresAt: new Date(revoke ? this.#now() : writtenAt + this.rotationGracePeriodMs),
    };
    this.#emit({ type: 'rotated', keyId, kid: result.kid, previousKid: result.previousKid });
    return result;
  }

  /**
   * The public keys that verify signatures of `keyId` now: the current key first (also while it waits
   * for its activation time), then previous versions still in their grace period. `forceFetch` reads them
   * from the store now (a JWKS endpoint bounding its staleness), without touching private material: a public
   * read, on every store (a signer store included).
   */
  async getVerificationKeys(
    keyId: string,
    options?: { readonly forceFetch?: boolean },
  ): Promise<PublicKeyPair[]> {
    if (options?.forceFetch !== true) return (await this.#timeline(keyId)).verifying;
    if (!this.#versioned) return [await this.getPublicKeyPair(keyId, { forceFetch: true })];
    assertValidKeyId(keyId, this.store.type);
    const list = await this.#versions
      .fetch(keyId, () => this.#readVersions(keyId), 0)
      .catch((error: unknown) => {
        this.#emit({ type: 'error', keyId, error });
        throw error;
      });
    if (!list || list.pairs.length === 0) throw this.#notFound(keyId);
    return this.#timelineOf(list).verifying;
  }

  /**
   * Where `keyId` stands in its rotation timeline: the current key, the key that signs now, the keys that
   * verify, when the current key starts signing (if it does not yet) and its age.
   */
  async rotationState(keyId: string): Promise<RotationState> {
    const timeline = await this.#timeline(keyId);
    const current = timeline.verifying[0]!;
    return {
      current,
      signing: timeline.signing,
      verifying: timeline.verifying,
      activatesAt: timeline.pending?.activatesAt,
      ageMs: current.createdAt ? this.#now() - current.createdAt.getTime() : undefined,
    };
  }

  async #timeline(keyId: string): Promise<Timeline<PublicKeyPair>> {
    if (!this.#versioned) {
      const pair = await this.getPublicKeyPair(keyId);
      return { signing: pair, verifying: [pair], pending: undefined };
    }
    return this.#timelineOf(await this.#versionList(keyId));
  }

  #timelineOf(list: VersionList): Timeline<PublicKeyPair> {
    return rotationTimeline(list.pairs, this.#now(), {
      delayMs: this.rotationDelayMs,
      graceMs: this.rotationGracePeriodMs,
    });
  }

  get #versioned(): boolean {
    return (
      this.#signer !== undefined ||
      (this.store.capabilities.versions && typeof this.store.getKeyVersions === 'function')
    );
  }

  async #versionList(keyId: string): Promise<VersionList> {
    assertValidKeyId(keyId, this.store.type);
    const list = await this.#cached(this.#versions, keyId, () => this.#readVersions(keyId));
    if (!list || list.pairs.length === 0) throw this.#notFound(keyId);
    return list;
  }

  async #readVersions(keyId: string): Promise<VersionList | undefined> {
    const loadedAt = this.#now();
    const list = this.#signer
      ? await this.#signer.getPublicKeyVersions(keyId)
      : await this.store.getKeyVersions!(keyId);
    // Older versions only count while a current one exists: a deleted id must not keep verifying.
    return list[0]?.current === true ? { pairs: list.map((v) => toKeyPair(keyId, v)), loadedAt } : undefined;
  }

  /**
   * After a miss, the id's versions read again, once per cooldown: the list in hand must be at least
   * `refetchCooldownMs` old and so must the last refetch (successful or not, so an outage is not hammered).
   * Concurrent misses share one read. A failed read keeps the cached list and answers undefined.
   */
  #refetchOnMiss(keyId: string, list: VersionList): Promise<VersionList | undefined> | undefined {
    const running = this.#refetches.get(keyId);
    if (running) return running;
    const now = this.#now();
    const last = Math.max(list.loadedAt, this.#lastRefetch.get(keyId) ?? 0);
    if (now - last < this.refetchCooldownMs) return undefined;
    this.#lastRefetch.delete(keyId); // re-insert: Map order is the oldest-first order trimmed below
    this.#lastRefetch.set(keyId, now);
    for (const id of this.#lastRefetch.keys()) {
      if (this.#lastRefetch.size <= this.#maxEntries) break;
      this.#lastRefetch.delete(id);
    }
    const flight = this.#readVersions(keyId)
      .then(async (fresh) => {
        // Replace the cached list with the one in hand (no second read); an id gone from the store is
        // dropped, so the next read reports NOT_FOUND.
        this.#versions.invalidate(keyId);
        if (fresh) await this.#versions.get(keyId, async () => fresh);
        return fresh;
      })
      .catch((error: unknown) => {
        this.#emit({ type: 'error', keyId, error });
        return undefined;
      })
      .finally(() => this.#refetches.delete(keyId));
    this.#refetches.set(keyId, flight);
    return flight;
  }

  /**
   * A JWK Set of the given ids (every id the store lists when omitted), including keys in their grace
   * period, each with its RFC 7638 thumbprint as `kid`. This is the document verifiers fetch.
   */
  async jwks(keyIds?: readonly string[]): Promise<JwkSet> {
    const ids = keyIds ?? (await this.#listIds());
    return buildJwkSet(ids, (id) => this.getVerificationKeys(id));
  }

  /** Every id the store lists, cached like a key (TTL, single flight) so JWK Set requests cause no listing storm. */
  async #listIds(): Promise<readonly string[]> {
    if (!this.store.capabilities.list || !this.store.listKeyIds) {
      throw new KeyStoreError(
        'UNSUPPORTED',
        'this store cannot list its keys: pass the key ids to jwks([...])',
        {
          storeType: this.store.type,
        },
      );
    }
    const list = this.store.listKeyIds.bind(this.store);
    return (await this.#ids.get(ID_LIST, list)) ?? [];
  }

  /**
   * Signs `data` with the signing key of `keyId`: EdDSA for an Ed25519 key, RS256 (RSASSA-PKCS1-v1_5, SHA-256)
   * for an RSA key of the Python Phlow. UNSUPPORTED for other key types.
   */
  sign(keyId: string, data: Uint8Array | string, options?: KeyAccessOptions): Promise<Uint8Array> {
    const pick = () => this.#signingKey(keyId);
    return this.#auditing ? this.#signAudited(keyId, data, options, pick) : this.#sign(data, pick);
  }

  /**
   * `sign` and `signWithKey` without auditing; `#signAudited` calls the same seam, `signWith`. A signer
   * store's pair has no private half: signWith has the store sign with the pair's version (and checks what
   * comes back).
   */
  async #sign(data: Uint8Array | string, pick: () => Promise<PublicKeyPair>): Promise<Uint8Array> {
    return signWith(await pick(), bytes(data), this.store);
  }

  async #signAudited(
    keyId: string,
    data: Uint8Array | string,
    options: KeyAccessOptions | undefined,
    pick: () => Promise<PublicKeyPair>,
  ): Promise<Uint8Array> {
    const started = performance.now();
    const source = this.#sourceOf(this.#versioned ? this.#versions : this.#pairs, keyId);
    const messageSha256 = this.#messageHash(data);
    try {
      const pair = await pick();
      const signature = await signWith(pair, bytes(data), this.store);
      this.#noteSigningKey(keyId, pair, started, options);
      this.#record('sign', keyId, started, options, {
        kid: pair.kid,
        version: pair.version,
        source,
        messageSha256,
      });
      return signature;
    } catch (error) {
      this.#record('sign', keyId, started, options, { source, messageSha256, ...auditFailure(error) });
      throw error;
    }
  }

  /** Records `activated` the first time this process signs `keyId` with a key that replaced the one it used. */
  #noteSigningKey(keyId: string, pair: PublicKeyPair, started: number, options?: KeyAccessOptions): void {
    const last = this.#signingKids.get(keyId);
    if (last === pair.kid) return;
    this.#signingKids.delete(keyId);
    this.#signingKids.set(keyId, pair.kid);
    for (const id of this.#signingKids.keys()) {
      if (this.#signingKids.size <= this.#maxEntries) break;
      this.#signingKids.delete(id);
    }
    if (last !== undefined) {
      this.#record('rotate', keyId, started, options, {
        kid: pair.kid,
        version: pair.version,
        rotation: 'activated',
      });
    }
  }

  /**
   * Signs `data` with `key`, a pair from `getSigningKey`: for callers that put the key's `kid` into what
   * they sign (a JWT header), so the kid and the signature cannot come from two different keys when the
   * signing key switches in between. Works on every store: a public-only pair is signed by its store.
   * Recorded as a `sign` event like `sign`.
   */
  signWithKey(
    key: PublicKeyPair,
    data: Uint8Array | string,
    options?: KeyAccessOptions,
  ): Promise<Uint8Array> {
    const pick = async () => key;
    return this.#auditing ? this.#signAudited(key.keyId, data, options, pick) : this.#sign(data, pick);
  }

  /**
   * The key pair `sign` uses now, for callers that must name it (a JWT's `kid` header; sign with it through
   * `signWithKey`). During a rotation delay this is the previous key, not `getKeyPair`'s current one.
   * Recorded as a private read, except on a signer store, where it is public-only (as `getPublicKeyPair`).
   */
  getSigningKey(keyId: string, options?: KeyAccessOptions): Promise<PublicKeyPair> {
    if (!this.#auditing || this.#signer) return this.#signingKey(keyId);
    const source = this.#sourceOf(this.#versioned ? this.#versions : this.#pairs, keyId);
    // Not a signer store, so the signing key is a KeyPair (see #readCurrent and #readVersions).
    return this.#readAudited(keyId, options, source, () => this.#signingKey(keyId) as Promise<KeyPair>);
  }

  /**
   * The key `sign` uses: the newest version whose activation time has passed (see rotation-timeline.ts),
   * or the current key on a store without versions.
   */
  async #signingKey(keyId: string): Promise<PublicKeyPair> {
    return this.#versioned ? (await this.#timeline(keyId)).signing : this.getPublicKeyPair(keyId);
  }

  /**
   * True if `signature` is a valid signature of `data` (EdDSA, or RS256 for an RSA key) by the current or an
   * in-grace key of `keyId`.
   * When no cached key accepts it, the id's versions are read again once per `refetchCooldownMs`, so a key
   * another process just wrote verifies without waiting for the cache TTL.
   */
  verify(
    keyId: string,
    data: Uint8Array | string,
    signature: Uint8Array,
    options?: KeyAccessOptions,
  ): Promise<boolean> {
    if (!this.#auditing) return this.#verify(keyId, data, signature).then((pair) => pair !== undefined);
    const source = this.#sourceOf(this.#versioned ? this.#versions : this.#pairs, keyId);
    const messageSha256 = this.#messageHash(data);
    return this.#audited(
      'verify',
      keyId,
      options,
      () => this.#verify(keyId, data, signature),
      (pair) => ({
        kid: pair?.kid,
        version: pair?.version,
        valid: pair !== undefined,
        source,
        messageSha256,
      }),
      { source, messageSha256 },
    ).then((pair) => pair !== undefined);
  }

  /** Whether audit events are recorded (an `onEvent` hook or `PHLOW_KEY_AUDIT_LOG` is set). */
  get auditing(): boolean {
    return this.#auditing;
  }

  /**
   * Records the audit event of a key access made by code outside KeyManager with this manager's keys, such as
   * the token package's `verifyJwt` (jose verifies there): the same hook and sink, store type and caller as
   * KeyManager's own events. `startedAt` is the `performance.now()` the operation started at; `message` is
   * hashed into `messageSha256` only under `auditMessageHash`. Does nothing when auditing is off.
   */
  recordAudit(
    operation: KeyAuditOperation,
    keyId: string | undefined,
    startedAt: number,
    fields: AuditFields,
    options?: KeyAccessOptions & { readonly message?: Uint8Array | string },
  ): void {
    if (!this.#auditing) return;
    // Only the fields an operation fills in: the common ones (id, caller, store, time) stay KeyManager's, so
    // the id and caller rules apply, and nothing else a caller's object carries reaches a hook.
    const kept: Record<string, unknown> = {};
    for (const name of AUDIT_FIELD_NAMES) {
      if (fields[name] !== undefined) kept[name] = fields[name];
    }
    if (options?.message !== undefined) kept.messageSha256 = this.#messageHash(options.message);
    this.#record(operation, keyId, startedAt, options, kept as AuditFields);
  }

  /** The key that accepts `signature`, or undefined. */
  async #verify(
    keyId: string,
    data: Uint8Array | string,
    signature: Uint8Array,
  ): Promise<PublicKeyPair | undefined> {
    const message = bytes(data);
    let list = this.#versioned ? await this.#versionList(keyId) : undefined;
    let keys = list ? this.#timelineOf(list).verifying : await this.getVerificationKeys(keyId);
    for (;;) {
      for (const pair of keys) {
        if (verifyWith(pair, message, signature)) return pair;
      }
      const fresher = list && (await this.#refetchOnMiss(keyId, list));
      if (!fresher) return undefined;
      list = undefined; // one refetch per call
      keys = this.#timelineOf(fresher).verifying;
    }
  }

  /** Releases the store's resources. */
  async close(): Promise<void> {
    this.#lastRefetch.clear();
    this.clear();
    await this.store.close?.();
  }

  async #readCurrent(keyId: string): Promise<PublicKeyPair | undefined> {
    if (this.#signer) return (await this.#readVersions(keyId))?.pairs[0];
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

  #invalidate(keyId: string): void {
    this.#pairs.invalidate(keyId);
    this.#versions.invalidate(keyId);
    this.#ids.invalidate(ID_LIST); // a key written or deleted here shows in (or leaves) this process's JWK Set at once
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

  /**
   * Runs `run` and records one audit event for it (when auditing): `fields` describes a success (null: record
   * nothing), `failed` adds to a failure's outcome and code. Without auditing this is `run()`.
   */
  async #audited<T>(
    operation: KeyAuditOperation,
    keyId: string,
    options: KeyAccessOptions | undefined,
    run: () => Promise<T>,
    fields?: (result: T) => AuditFields | null,
    failed?: AuditFields,
  ): Promise<T> {
    if (!this.#auditing) return run();
    const started = performance.now();
    let result: T;
    try {
      result = await run();
    } catch (error) {
      this.#record(operation, keyId, started, options, { ...failed, ...auditFailure(error) });
      throw error;
    }
    const described = fields ? fields(result) : {};
    if (described !== null) this.#record(operation, keyId, started, options, described);
    return result;
  }

  #record(
    operation: KeyAuditOperation,
    keyId: string | undefined,
    started: number,
    options: KeyAccessOptions | undefined,
    fields: AuditFields,
  ): void {
    const event: KeyAuditEvent = {
      type: 'audit',
      time: isoTime(this.#now()),
      operation,
      outcome: 'success',
      storeType: this.store.type,
      keyId: auditKeyId(keyId),
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      caller: options?.caller !== undefined ? auditCaller(options.caller) : this.#caller,
      ...fields,
    };
    this.#emit(event);
  }

  #sourceOf(cache: LoadingCache<unknown>, keyId: string): 'cache' | 'store' {
    return cache.isFresh(keyId) ? 'cache' : 'store';
  }

  #messageHash(data: Uint8Array | string): string | undefined {
    if (!this.#hashMessages) return undefined;
    try {
      return createHash('sha256').update(bytes(data)).digest('hex');
    } catch {
      return undefined; // not a message sign() accepts either; the operation reports that
    }
  }

  #emit(event: KeyManagerEvent): void {
    try {
      this.#onEvent(event);
    } catch {
      // An event hook must not break key reads.
    }
  }

  #noPrivateKey(keyId: string, method: string, instead = 'getPublicKeyPair'): KeyStoreError {
    return new KeyStoreError(
      'UNSUPPORTED',
      `${method} hands out a private key, and the keys of ${this.store.type} never leave the backend: use ${instead}("${keyId}") for the public half, sign("${keyId}", data) to sign`,
      { storeType: this.store.type, keyId },
    );
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

/** Audit fields of a finished rotation. */
function rotationFields(result: RotationResult, options: RotateOptions): AuditFields {
  return {
    kid: result.kid,
    version: result.keyPair.version,
    rotation: options.now === true || options.revokePrevious === true ? 'emergency' : 'staged',
  };
}

function refreshAheadRatio(value: number | undefined): number {
  if (value === undefined) return 0.2;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      'cache.refreshAheadRatio must be a number from 0 to 1 (default 0.2)',
    );
  }
  return value;
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

function toKeyPair(
  keyId: string,
  stored: StoredKeyPair | StoredKeyVersion | PublicKeyVersion,
): PublicKeyPair {
  return 'privateKey' in stored
    ? new KeyPair(keyId, stored.privateKey, stored.publicKey, stored.version, stored.createdAt)
    : new PublicKeyPair(keyId, stored.publicKey, stored.version, stored.createdAt);
}
