/**
 * The signing recheck: how a signing replica learns of a rotation, a revocation or a revoked credential that
 * another process made, within `signingRecheckMs` whatever the cache TTL.
 *
 * A sign that finds the cached entry of its id older than the interval starts ONE background reread of that
 * id (single flight, joined by a refresh already running) and itself answers from the cache: signing never
 * waits for the store. The reread replaces the entry, so the next sign uses what the store says now (a key
 * `rotate --now` wrote elsewhere signs at once). A failed reread follows the cache's rules: an outage keeps
 * the entry (served until it expires, then the stale-if-error window), while a revoked credential or a
 * tampered store (ACCESS_DENIED, INTEGRITY: anything not an outage) drops it, so the next sign reads the store
 * and fails rather than keep signing with a key the store no longer vouches for. An id gone from the store is
 * dropped too (NOT_FOUND on the next sign). A reread that finds the id's versions changed is reported as a
 * `changed` event, so a JWKS endpoint in the same process serves the new key as soon as this process signs
 * with it.
 *
 * Cost: at most one read of each id a process signs with per interval (attempts, failed ones included, are
 * spaced by the interval, so an outage is not hammered), and none for ids it only verifies or does not use.
 */
import { BoundedMap } from './adapter/bounded-map.js';
import type { LoadingCache } from './cache.js';
import type { KeyManagerEvent } from './manager-options.js';

export interface SigningRecheckOptions {
  /** 0 turns the recheck off. */
  readonly intervalMs: number;
  /** Most ids whose last recheck is remembered. */
  readonly maxEntries: number;
  readonly now: () => number;
  readonly emit: (event: KeyManagerEvent) => void;
  /** True for errors the cache may answer stale (outages). */
  readonly staleOn: (error: unknown) => boolean;
}

export class SigningRecheck<V> {
  readonly #o: SigningRecheckOptions;
  readonly #entries: LoadingCache<V>;
  /** When each id's last recheck started. */
  readonly #last: BoundedMap<string, number>;

  constructor(entries: LoadingCache<V>, options: SigningRecheckOptions) {
    this.#o = options;
    this.#entries = entries;
    this.#last = new BoundedMap(options.maxEntries);
  }

  /**
   * True if a sign answering from the entry of `keyId`, read from the store at `loadedAt`, is to start a
   * recheck (then `start` it): the entry and the last attempt are both at least one interval old. Allocates
   * nothing, as it runs on every sign.
   */
  due(keyId: string, loadedAt: number): boolean {
    const { intervalMs, now } = this.#o;
    if (intervalMs === 0) return false;
    const at = now();
    if (at - loadedAt < intervalMs || at - (this.#last.get(keyId) ?? Number.NEGATIVE_INFINITY) < intervalMs) {
      return false;
    }
    this.#last.set(keyId, at);
    return true;
  }

  /** Rereads `keyId` in the background; `reread` is told what was read (undefined: the id is gone). */
  start(keyId: string, reread: (value: V | undefined) => void): void {
    this.#entries.reload(keyId)?.then(reread, (error: unknown) => {
      this.#o.emit({ type: 'error', keyId, error });
      if (!this.#o.staleOn(error)) this.#entries.invalidate(keyId);
    });
  }

  clear(): void {
    this.#last.clear();
  }
}
