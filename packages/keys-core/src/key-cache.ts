/**
 * The key cache behind KeyManager: ONE entry per key id, read through one LoadingCache (TTL, LRU, single
 * flight, stale if error, refresh ahead; see cache.ts). The entry is the id's version list, or for a store
 * without versions its single current pair. The signing key, the newest key and the verifying keys are all
 * derived from that one entry by the rotation timeline, so no two readers in a process can see different
 * versions (when `getKeyPair` and `sign` read two caches apart, a staged rotation showed the new key to one
 * and the old key to the other).
 *
 * Also here: the one refetch on an unknown key (`verify` and `getKeyByKid` reread an id's versions at most
 * once per cooldown) and the cached id list of `jwks()`.
 */
import { BoundedMap } from './adapter/bounded-map.js';
import { type CacheOptions, type CacheStats, LoadingCache } from './cache.js';
import type {
  KeyStore,
  PublicKeyVersion,
  SignerKeyStore,
  StoredKeyPair,
  StoredKeyVersion,
} from './contract.js';
import { isKeyStoreError, KeyStoreError } from './errors.js';
import { assertValidKeyId } from './key-id.js';
import { KeyPair } from './key-pair.js';
import { notFound } from './manager-errors.js';
import type { KeyManagerEvent, ManagerSettings } from './manager-options.js';
import { PublicKeyPair } from './public-key-pair.js';
import { rotationTimeline, type TimelineVersion } from './rotation-timeline.js';
import { SigningRecheck } from './signing-recheck.js';
import { UnverifiedReads } from './unverified-reads.js';

/** One stored version as the timeline reads it. */
interface VersionRecord extends TimelineVersion {
  readonly pair: PublicKeyPair;
}

/** What readers get: one entry's timeline at one moment. */
export interface KeyView {
  /** The key `sign` uses now. */
  readonly signing: PublicKeyPair;
  /** `signing`, as an already-resolved promise (the allocation-free hit path). */
  readonly signingPromise: Promise<PublicKeyPair>;
  /** The newest version, signing or not. */
  readonly newest: PublicKeyPair;
  /** Keys that verify now, newest first. */
  readonly verifying: PublicKeyPair[];
  /** Every version the store returned, newest first. */
  readonly versions: readonly PublicKeyPair[];
  /** When `newest` starts signing, if it does not yet. */
  readonly pendingActivatesAt: Date | undefined;
  /** When the entry was read from the store. */
  readonly loadedAt: number;
}

interface KeyEntry {
  readonly versions: readonly VersionRecord[];
  readonly loadedAt: number;
  /** The view last derived, valid from `from` until `until` (the timeline's next change). */
  memo?: { readonly view: KeyView; readonly from: number; readonly until: number };
}

export interface KeyCacheOptions {
  readonly store: KeyStore;
  readonly signer: SignerKeyStore | undefined;
  readonly settings: ManagerSettings;
  readonly now: () => number;
  /** Reports a stale answer or a failed read (`stale`, `error` events); never throws. */
  readonly emit: (event: KeyManagerEvent) => void;
}

/** The one key of the id-list cache. */
const ID_LIST = 'ids';

/**
 * Serve stale keys through outages only: a revoked token (ACCESS_DENIED) or a tampered store (INTEGRITY) must
 * stop key use at once. Errors that are not KeyStoreErrors come from unmapped failures: outages.
 */
export const isOutage = (error: unknown): boolean => !isKeyStoreError(error) || error.code === 'UNAVAILABLE';

export class KeyCache {
  readonly #o: KeyCacheOptions;
  readonly #entries: LoadingCache<KeyEntry>;
  readonly #ids: LoadingCache<readonly string[]>;
  /** Refetches on a miss in flight, one per id. */
  readonly #refetches = new Map<string, Promise<KeyView | undefined>>();
  /** When each id was last refetched on a miss; at most `maxEntries` ids. */
  readonly #lastRefetch: BoundedMap<string, number>;
  /** True if the store keeps versions (or signs inside its backend, where versions are public-only). */
  readonly versioned: boolean;
  /** The gate for reads of ids named by unverified input (unverified-reads.ts). */
  readonly unverified: UnverifiedReads;
  readonly #recheck: SigningRecheck<KeyEntry>;

  constructor(options: KeyCacheOptions) {
    this.#o = options;
    const s = options.settings;
    const cache: CacheOptions = {
      ttlMs: s.ttlMs,
      maxEntries: s.maxEntries,
      staleIfErrorMs: s.staleIfErrorMs,
      refreshAheadRatio: s.refreshAheadRatio,
      staleOn: isOutage,
      now: options.now,
    };
    this.#entries = new LoadingCache<KeyEntry>(cache);
    this.#ids = new LoadingCache<readonly string[]>(cache);
    this.#lastRefetch = new BoundedMap(s.maxEntries);
    this.#recheck = new SigningRecheck(this.#entries, {
      intervalMs: s.signingRecheckMs,
      maxEntries: s.maxEntries,
      now: options.now,
      emit: options.emit,
      staleOn: isOutage,
    });
    const { store } = options;
    this.versioned =
      options.signer !== undefined ||
      (store.capabilities.versions && typeof store.getKeyVersions === 'function');
    this.unverified = new UnverifiedReads({
      storeType: store.type,
      listIds:
        store.capabilities.list && store.listKeyIds
          ? (fresh) => this.listIds(fresh ? 0 : undefined)
          : undefined,
      // At least a second: `refetchCooldownMs: 0` (a refetch on every unknown kid) must not turn every forged
      // issuer into a listing.
      cooldownMs: Math.max(s.refetchCooldownMs, 1000),
      maxEntries: s.maxEntries,
      settings: s.unverifiedReads,
      now: options.now,
    });
  }

  get stats(): CacheStats & { size: number } {
    const total = {
      hits: 0,
      misses: 0,
      loads: 0,
      errors: 0,
      stale: 0,
      evictions: 0,
      refreshes: 0,
      rechecks: 0,
      size: 0,
    };
    for (const cache of [this.#entries, this.#ids] as LoadingCache<unknown>[]) {
      for (const [name, value] of Object.entries(cache.stats)) total[name as keyof CacheStats] += value;
      total.size += cache.size;
    }
    return total;
  }

  /** The fresh view of `keyId`, or undefined (then call `view`). Only valid ids are ever cached. */
  peek(keyId: string): KeyView | undefined {
    const entry = this.#entries.peekValue(keyId);
    return entry && this.#viewOf(entry);
  }

  /** `peek` for a sign: also starts the signing recheck of `keyId` when its entry is due (signing-recheck.ts). */
  peekForSigning(keyId: string): KeyView | undefined {
    const view = this.peek(keyId);
    if (view !== undefined && this.#recheck.due(keyId, view.loadedAt)) {
      this.#recheck.start(keyId, (fresh) => {
        if (
          fresh === undefined ||
          versionsOf(fresh.versions.map((v) => v.pair)) !== versionsOf(view.versions)
        ) {
          this.#o.emit({ type: 'changed', keyId });
        }
      });
    }
    return view;
  }

  /** The view of `keyId` through the cache. NOT_FOUND if the store has no such id. */
  async view(keyId: string): Promise<KeyView> {
    assertValidKeyId(keyId, this.#o.store.type);
    const entry = await this.#entries
      .get(
        keyId,
        () => this.#read(keyId),
        (error, staleForMs) => this.#o.emit({ type: 'stale', keyId, staleForMs, error }),
      )
      .catch((error: unknown) => {
        this.#o.emit({ type: 'error', keyId, error });
        throw error;
      });
    if (!entry) throw notFound(this.#o.store, keyId);
    return this.#viewOf(entry);
  }

  /** The view from an entry read less than `maxAgeMs` ago (0: read now). Failures throw, never stale. */
  async fetch(keyId: string, maxAgeMs: number): Promise<KeyView> {
    assertValidKeyId(keyId, this.#o.store.type);
    const entry = await this.#entries
      .fetch(keyId, () => this.#read(keyId), maxAgeMs)
      .catch((error: unknown) => {
        this.#o.emit({ type: 'error', keyId, error });
        throw error;
      });
    if (!entry) throw notFound(this.#o.store, keyId);
    return this.#viewOf(entry);
  }

  /** The view of `keyId`: cached, or read less than `maxAgeMs` ago, or now for `forceFetch`. */
  viewFor(
    keyId: string,
    options?: { readonly forceFetch?: boolean; readonly maxAgeMs?: number },
  ): Promise<KeyView> {
    if (options?.forceFetch !== true && options?.maxAgeMs === undefined) {
      const hit = this.peek(keyId);
      return hit ? Promise.resolve(hit) : this.view(keyId);
    }
    assertValidKeyId(keyId, this.#o.store.type);
    const maxAgeMs = options.forceFetch === true ? 0 : options.maxAgeMs;
    if (typeof maxAgeMs !== 'number' || !(maxAgeMs >= 0)) {
      throw new KeyStoreError('INVALID_CONFIG', 'maxAgeMs must be a number of milliseconds, 0 or more', {
        storeType: this.#o.store.type,
        keyId,
      });
    }
    return this.fetch(keyId, maxAgeMs);
  }

  /**
   * The first verifying key of `keyId` that `test` accepts; if none does, the id's versions are read again
   * (once per cooldown, see `refetch`) and tried once more. Undefined if still none.
   */
  async findVerifying(
    keyId: string,
    test: (pair: PublicKeyPair) => boolean,
  ): Promise<PublicKeyPair | undefined> {
    const view = await this.viewFor(keyId);
    return view.verifying.find(test) ?? (await this.refetch(keyId, view))?.verifying.find(test);
  }

  /** The view of an id named by unverified input (a token's `iss`): cached, else through the gate. */
  viewUnverified(keyId: string): Promise<KeyView> {
    const hit = this.peek(keyId);
    if (hit) return Promise.resolve(hit);
    assertValidKeyId(keyId, this.#o.store.type); // before the gate: a malformed id costs no listing
    return this.unverified.read(keyId, () => this.view(keyId));
  }

  /** True if `keyId` has a fresh entry (audit events tell cache from store with it); counts nothing. */
  isFresh(keyId: string): boolean {
    return this.#entries.isFresh(keyId);
  }

  /**
   * After a miss (no cached key verified, no cached key has the kid), the id's versions read again, once per
   * cooldown: the view in hand must be at least `refetchCooldownMs` old and so must the last refetch
   * (successful or not, so an outage is not hammered). Concurrent misses share one read. A failed read keeps
   * the cached entry, reports an error and answers undefined; so does a refetch inside the cooldown.
   */
  refetch(keyId: string, seen: KeyView): Promise<KeyView | undefined> | undefined {
    const running = this.#refetches.get(keyId);
    if (running) return running;
    const now = this.#o.now();
    const last = Math.max(seen.loadedAt, this.#lastRefetch.get(keyId) ?? 0);
    if (now - last < this.#o.settings.refetchCooldownMs) return undefined;
    this.#lastRefetch.set(keyId, now);
    const load = () => this.#read(keyId);
    const flight = load()
      .then((fresh) => {
        // The entry in hand replaces the cached one (no second read); an id gone from the store is dropped,
        // so the next read reports NOT_FOUND.
        if (fresh) this.#entries.put(keyId, fresh, load);
        else this.#entries.invalidate(keyId);
        return fresh && this.#viewOf(fresh);
      })
      .catch((error: unknown) => {
        this.#o.emit({ type: 'error', keyId, error });
        return undefined;
      })
      .finally(() => this.#refetches.delete(keyId));
    this.#refetches.set(keyId, flight);
    return flight;
  }

  /** The newest version of `keyId` read from the store now, uncached (what a rotation compares and sets). */
  async readNewest(keyId: string): Promise<PublicKeyPair | undefined> {
    const { store, signer } = this.#o;
    if (signer) return (await this.#read(keyId))?.versions[0]?.pair;
    const stored: StoredKeyPair | null =
      store.capabilities.readPair && store.getKeyPair
        ? await store.getKeyPair(keyId)
        : await readHalves(store, keyId);
    return stored ? toKeyPair(keyId, stored) : undefined;
  }

  /** The view of `keyId` read from the store now, uncached. */
  async readView(keyId: string): Promise<KeyView | undefined> {
    const entry = await this.#read(keyId);
    return entry && this.#viewOf(entry);
  }

  /**
   * Every id the store lists, cached like a key (TTL, single flight) so JWK Set requests cause no listing storm;
   * `maxAgeMs` (0: list now) asks for a fresher listing.
   */
  async listIds(maxAgeMs?: number): Promise<readonly string[]> {
    const { store } = this.#o;
    if (!store.capabilities.list || !store.listKeyIds) {
      throw new KeyStoreError(
        'UNSUPPORTED',
        'this store cannot list its keys: pass the key ids to jwks([...])',
        {
          storeType: store.type,
        },
      );
    }
    const load = store.listKeyIds.bind(store);
    const ids =
      maxAgeMs === undefined ? this.#ids.get(ID_LIST, load) : this.#ids.fetch(ID_LIST, load, maxAgeMs);
    return (await ids) ?? [];
  }

  /**
   * Drops `keyId` (a write by this process shows at once) and the id list (it may have changed too). Every
   * write calls this, so it is also where the `changed` event (a JWKS handler rebuilds on it) comes from.
   */
  invalidate(keyId: string): void {
    this.#entries.invalidate(keyId);
    this.#ids.invalidate(ID_LIST);
    this.unverified.forget(keyId);
    this.#o.emit({ type: 'changed', keyId });
  }

  clear(): void {
    this.#entries.clear();
    this.#ids.clear();
    this.unverified.clear();
  }

  close(): void {
    this.#lastRefetch.clear();
    this.#recheck.clear();
    this.clear();
  }

  async #read(keyId: string): Promise<KeyEntry | undefined> {
    const loadedAt = this.#o.now();
    const { store, signer } = this.#o;
    let versions: readonly (StoredKeyVersion | PublicKeyVersion | StoredKeyPair)[];
    if (signer) versions = await signer.getPublicKeyVersions(keyId);
    else if (this.versioned) versions = await store.getKeyVersions!(keyId);
    else {
      const pair = await this.readNewest(keyId);
      return pair && { versions: [record(pair, undefined)], loadedAt };
    }
    // Older versions only count while a current one exists: a deleted id must not keep verifying.
    const first = versions[0] as { current?: boolean } | undefined;
    if (first?.current !== true) return undefined;
    return { versions: versions.map((v) => record(toKeyPair(keyId, v), v.activatesAt)), loadedAt };
  }

  #viewOf(entry: KeyEntry): KeyView {
    const now = this.#o.now();
    const memo = entry.memo;
    if (memo && now >= memo.from && now < memo.until) return memo.view;
    const t = rotationTimeline(entry.versions, now, {
      delayMs: this.#o.settings.delayMs,
      graceMs: this.#o.settings.graceMs,
    });
    const view: KeyView = {
      signing: t.signing.pair,
      signingPromise: Promise.resolve(t.signing.pair),
      newest: t.newest.pair,
      verifying: t.verifying.map((v) => v.pair),
      versions: entry.versions.map((v) => v.pair),
      pendingActivatesAt: t.pending?.activatesAt,
      loadedAt: entry.loadedAt,
    };
    entry.memo = { view, from: now, until: t.until };
    return view;
  }
}

/** An entry's versions as one comparable string: which keys, in which order, with which versions. */
function versionsOf(
  versions: readonly { readonly kid: string; readonly version?: string | undefined }[],
): string {
  return versions.map((v) => `${v.kid}:${v.version ?? ''}`).join(',');
}

function record(pair: PublicKeyPair, activatesAt: Date | undefined): VersionRecord {
  return { pair, kid: pair.kid, createdAt: pair.createdAt, activatesAt };
}

/** A stored record as KeyManager hands it out: a KeyPair, or public-only from a signer store. */
export function toKeyPair(
  keyId: string,
  stored: StoredKeyPair | StoredKeyVersion | PublicKeyVersion,
): PublicKeyPair {
  return 'privateKey' in stored
    ? new KeyPair(keyId, stored.privateKey, stored.publicKey, stored.version, stored.createdAt)
    : new PublicKeyPair(keyId, stored.publicKey, stored.version, stored.createdAt);
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
