/**
 * The read-through cache in front of a store: TTL, bounded size (LRU), single-flight loads and a bounded
 * stale-if-error window.
 *
 * - Single flight: while a load for a key is running, every other get for that key awaits the same promise,
 *   so any number of concurrent cold gets cause one store read.
 * - Invalidation drops the entry and detaches any load in flight, whose result is then not cached: a write
 *   by this process is never hidden behind a read that started before it.
 * - Stale if error: when a refresh of an expired entry fails with an error `staleOn` accepts (an outage, not
 *   a revoked credential), the old value is served for at most `staleIfErrorMs` past its expiry, every time
 *   reported through `onStale`; after that the error surfaces.
 *   A failed refresh is not retried for `retryAfterErrorMs`, so a dead backend is not hammered, and callers
 *   are not each made to wait for its timeout.
 * - Refresh ahead: a hit in the last `refreshAheadRatio` of an entry's TTL starts one background reload (single
 *   flight, counted in `refreshes`), so an id in steady use is reloaded before it expires and its callers
 *   never wait for the store. A failed refresh leaves the entry as it was; the next one is tried after
 *   `retryAfterErrorMs`.
 * Missing keys (a load that resolves `undefined`) are never cached.
 */
import { BoundedMap } from './adapter/bounded-map.js';

export interface CacheOptions {
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly staleIfErrorMs: number;
  readonly retryAfterErrorMs?: number;
  /** Share of the TTL, at its end, in which a hit starts a background refresh. Default: 0.2. 0 turns it off. */
  readonly refreshAheadRatio?: number;
  /** Which load errors may be answered with a stale value. Default: all of them. */
  readonly staleOn?: (error: unknown) => boolean;
  readonly now?: () => number;
}

export interface CacheStats {
  /** Gets answered from a fresh entry. */
  hits: number;
  /** Gets that found no fresh entry. */
  misses: number;
  /** Store reads started (one per single-flight group). */
  loads: number;
  /** Store reads that failed. */
  errors: number;
  /** Gets answered with a stale value because the store failed. */
  stale: number;
  /** Entries dropped to stay within maxEntries. */
  evictions: number;
  /** Background refreshes started by hits near the end of an entry's TTL. */
  refreshes: number;
  /** Background rereads asked for by `reload` (KeyManager's signing recheck). */
  rechecks: number;
}

interface Entry<V> {
  value: V;
  /** The value as an already-resolved promise, so a hit allocates nothing. */
  promise: Promise<V>;
  expiresAt: number;
  /** From this time on, a hit starts a background refresh. */
  refreshAt: number;
  /** What loaded the value, reused by the background refresh. */
  load: () => Promise<V | undefined>;
  retryAt: number;
  lastError?: unknown;
}

interface Flight<V> {
  promise: Promise<V | undefined>;
}

export class LoadingCache<V> {
  readonly #options: Required<CacheOptions>;
  /** LRU order: the kit's BoundedMap refreshes a key on `get` and drops the least recently used beyond max. */
  readonly #entries: BoundedMap<string, Entry<V>>;
  readonly #inflight = new Map<string, Flight<V>>();
  readonly stats: CacheStats = {
    hits: 0,
    misses: 0,
    loads: 0,
    errors: 0,
    stale: 0,
    evictions: 0,
    refreshes: 0,
    rechecks: 0,
  };

  constructor(options: CacheOptions) {
    this.#options = {
      retryAfterErrorMs: 1000,
      refreshAheadRatio: 0.2,
      staleOn: () => true,
      now: Date.now,
      ...options,
    };
    this.#entries = new BoundedMap(this.#options.maxEntries);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** True if `key` has a fresh entry; counts nothing (audit records use it to tell cache from store). */
  isFresh(key: string): boolean {
    const entry = this.#entries.get(key);
    return entry !== undefined && this.#options.now() < entry.expiresAt;
  }

  /**
   * The fresh cached value as a resolved promise, or undefined: the allocation-free hit path, tried before
   * `get`. Counts a hit when it answers.
   */
  peek(key: string): Promise<V> | undefined {
    return this.#hit(key)?.promise;
  }

  /** Like `peek`, the fresh cached value itself (not a promise), or undefined. Counts a hit when it answers. */
  peekValue(key: string): V | undefined {
    return this.#hit(key)?.value;
  }

  #hit(key: string): Entry<V> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.#options.now();
    if (now >= entry.expiresAt) return undefined;
    this.stats.hits++;
    if (now >= entry.refreshAt) this.#refreshAhead(key, entry, now);
    return entry;
  }

  async get(
    key: string,
    load: () => Promise<V | undefined>,
    onStale?: (error: unknown, staleForMs: number) => void,
  ): Promise<V | undefined> {
    const hit = this.peek(key);
    if (hit) return hit;
    const now = this.#options.now();
    const entry = this.#entries.get(key);
    this.stats.misses++;
    if (entry && now < entry.retryAt && now - entry.expiresAt <= this.#options.staleIfErrorMs) {
      this.stats.stale++;
      onStale?.(entry.lastError, now - entry.expiresAt);
      return entry.value;
    }
    try {
      return await this.#load(key, load);
    } catch (error) {
      const later = this.#options.now();
      const stale = this.#entries.get(key);
      if (stale && later - stale.expiresAt <= this.#options.staleIfErrorMs && this.#options.staleOn(error)) {
        stale.retryAt = later + this.#options.retryAfterErrorMs;
        stale.lastError = error;
        this.stats.stale++;
        onStale?.(error, later - stale.expiresAt);
        return stale.value;
      }
      throw error;
    }
  }

  /**
   * Like `get`, but only an entry younger than `maxAgeMs` answers (0: always read the store). A load already
   * in flight is joined, so a burst of forced reads is still one store read. Failures are thrown, never
   * answered with a stale value: the caller asked for a fresh one.
   */
  fetch(key: string, load: () => Promise<V | undefined>, maxAgeMs: number): Promise<V | undefined> {
    const entry = this.#entries.get(key);
    const now = this.#options.now();
    if (
      entry !== undefined &&
      now < entry.expiresAt &&
      now - (entry.expiresAt - this.#options.ttlMs) < maxAgeMs
    ) {
      this.stats.hits++;
      return entry.promise;
    }
    this.stats.misses++;
    return this.#load(key, load);
  }

  /**
   * Caches `value`, read by the caller with `load` (which refresh-ahead reuses), in place of the entry and of
   * any load in flight for `key`.
   */
  put(key: string, value: V, load: () => Promise<V | undefined>): void {
    this.#inflight.delete(key);
    this.#set(key, value, load);
  }

  /**
   * Rereads `key` now with the loader of its entry, joining a load already in flight (single flight), and
   * keeps serving the entry meanwhile. Undefined when there is no entry. Counted in `rechecks`. The result
   * replaces the entry unless an invalidation came first; a failure leaves the entry as it was.
   */
  reload(key: string): Promise<V | undefined> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.stats.rechecks++;
    return this.#load(key, entry.load);
  }

  /** Drops the entry and any load in flight for it. */
  invalidate(key: string): void {
    this.#entries.delete(key);
    this.#inflight.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#inflight.clear();
  }

  #refreshAhead(key: string, entry: Entry<V>, now: number): void {
    if (this.#inflight.has(key)) return;
    entry.refreshAt = now + this.#options.retryAfterErrorMs; // replaced on success; after a failure, the next try
    this.stats.refreshes++;
    // Failures are counted in `errors` by #run; the entry keeps serving until it expires.
    this.#load(key, entry.load).catch(() => {});
  }

  #load(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const running = this.#inflight.get(key);
    if (running) return running.promise;
    this.stats.loads++;
    // Registered before the load starts, so an invalidation at any later point detaches this flight.
    const flight: Flight<V> = { promise: Promise.resolve(undefined) };
    this.#inflight.set(key, flight);
    flight.promise = this.#run(key, load, flight);
    return flight.promise;
  }

  async #run(key: string, load: () => Promise<V | undefined>, flight: Flight<V>): Promise<V | undefined> {
    try {
      const value = await load();
      if (this.#inflight.get(key) === flight) {
        if (value === undefined) this.#entries.delete(key);
        else this.#set(key, value, load);
      }
      return value;
    } catch (error) {
      this.stats.errors++;
      throw error;
    } finally {
      if (this.#inflight.get(key) === flight) this.#inflight.delete(key);
    }
  }

  #set(key: string, value: V, load: () => Promise<V | undefined>): void {
    const now = this.#options.now();
    const { ttlMs, refreshAheadRatio } = this.#options;
    const expiresAt = now + ttlMs;
    if (!this.#entries.has(key) && this.#entries.size >= this.#options.maxEntries) this.stats.evictions++;
    this.#entries.set(key, {
      value,
      promise: Promise.resolve(value),
      expiresAt,
      refreshAt:
        refreshAheadRatio > 0 ? expiresAt - ttlMs * Math.min(refreshAheadRatio, 1) : Number.POSITIVE_INFINITY,
      load,
      retryAt: 0,
    });
  }
}
