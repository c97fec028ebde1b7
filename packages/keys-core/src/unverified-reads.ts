/**
 * The gate in front of store reads for key ids that unverified input names (a token's `iss`, read by
 * keys-jwt's `verifyJwt` before any signature is checked; an id passed to `KeyManager.verify` or
 * `getVerificationKeys` with `unverified: true`, as keys-httpsig does for a signed request), so that whoever
 * sends tokens does not decide how much work the store does. Without it, each forged issuer was one backend request: 1,000 forged tokens were
 * 1,000 reads, and a flood filled the HTTP pool until a legitimate cold verification timed out.
 *
 * Only ids the key cache does not hold reach the gate (a cached id costs nothing). For such an id:
 * 1. An id found before (`known`, bounded LRU) is read at once: a real issuer whose entry expired or was
 *    evicted is never held back by a flood.
 * 2. An id the store said it lacks, less than one refetch cooldown ago (`missing`, bounded LRU: the negative
 *    cache), is refused (NOT_FOUND) with no read.
 * 3. On a store that can list: the id is looked up in the cached id list (the same cached listing `jwks()`
 *    uses). Listed: read (the legitimate cold verification). Not listed: the ids are listed again, at most once
 *    per cooldown (concurrent misses share that one listing), then refused if still absent. A flood of distinct
 *    forged issuers therefore costs one listing per cooldown and no per-id read at all.
 * 4. On a store that cannot list (or when listing fails: a verifier without list permission, an outage), a
 *    small budget shared by every such read of this KeyManager: at most `concurrency` in flight and a token
 *    bucket of `burst` refilled at `perSecond`. The excess is refused at once (UNAVAILABLE, retryable), never
 *    queued, so a flood costs at most `burst + perSecond × seconds` reads and holds at most `concurrency`
 *    sockets. Honest limit: here a never-seen issuer competes with the flood for the budget; ids seen before
 *    (1) do not.
 *
 * Refusals never name the id: it comes from a token, that is, from anyone. The cooldown is KeyManager's
 * refetch cooldown (`refetchCooldownMs`, 30 s, here at least 1 s): one rule for "how often may unverified
 * input make us look".
 */
import { BoundedMap } from './adapter/bounded-map.js';
import { intSetting } from './adapter/settings.js';
import type { Env } from './contract.js';
import { isKeyStoreError, KeyStoreError } from './errors.js';

export interface UnverifiedReadOptions {
  /**
   * Most reads of unknown ids named by unverified input in flight at once, on a store that cannot list (or
   * may not). Default: 4 (well under the 50 sockets of the stores' HTTP agents, so reads of known keys always
   * find a socket). Env: `PHLOW_KEY_UNVERIFIED_READ_CONCURRENCY`.
   */
  readonly concurrency?: number;
  /** Such reads that may start at once before the rate applies. Default: 20. Env: `PHLOW_KEY_UNVERIFIED_READ_BURST`. 0: none. */
  readonly burst?: number;
  /** Such reads per second after the burst. Default: 5. Env: `PHLOW_KEY_UNVERIFIED_READS_PER_SECOND`. 0: none after the burst. */
  readonly perSecond?: number;
}

export interface UnverifiedReadSettings {
  readonly concurrency: number;
  readonly burst: number;
  readonly perSecond: number;
}

/** The budget's settings: the options, else the environment, else the defaults; INVALID_CONFIG otherwise. */
export function unverifiedReadSettings(
  options: UnverifiedReadOptions | undefined,
  env: Env,
): UnverifiedReadSettings {
  const at = (name: keyof UnverifiedReadOptions) => `cache.unverifiedReads.${name}`;
  return {
    concurrency: intSetting(options?.concurrency, env, 'PHLOW_KEY_UNVERIFIED_READ_CONCURRENCY', 4, {
      min: 1,
      option: at('concurrency'),
    }),
    burst: intSetting(options?.burst, env, 'PHLOW_KEY_UNVERIFIED_READ_BURST', 20, { option: at('burst') }),
    perSecond: intSetting(options?.perSecond, env, 'PHLOW_KEY_UNVERIFIED_READS_PER_SECOND', 5, {
      option: at('perSecond'),
    }),
  };
}

/** What the gate did, for `KeyManager.stats`-like inspection in tests and benchmarks. */
export interface UnverifiedReadStats {
  /** Reads let through (listed, known, or within the budget). */
  admitted: number;
  /** Answered NOT_FOUND: from the negative cache or the id list (no per-id read), or after a read. */
  refusedUnknown: number;
  /** Refused because the budget was spent (UNAVAILABLE). */
  refusedBusy: number;
  /** Listings the gate asked for (first look and relists). */
  listings: number;
}

export interface UnverifiedReadsOptions {
  readonly storeType: string;
  /** The store's ids: the cached listing, or a fresh one for `fresh`. Undefined when the store cannot list. */
  readonly listIds: ((fresh: boolean) => Promise<readonly string[]>) | undefined;
  readonly cooldownMs: number;
  readonly maxEntries: number;
  readonly settings: UnverifiedReadSettings;
  readonly now: () => number;
}

/** Each listing as a Set, made once per listing (a flood asks the same listing thousands of times). */
const listed = new WeakMap<readonly string[], ReadonlySet<string>>();
function has(ids: readonly string[], keyId: string): boolean {
  let set = listed.get(ids);
  if (!set) {
    set = new Set(ids);
    listed.set(ids, set);
  }
  return set.has(keyId);
}

export class UnverifiedReads {
  readonly #o: UnverifiedReadsOptions;
  readonly #known: BoundedMap<string, true>;
  /** Ids the store lacks, with the time until which that answer stands. */
  readonly #missing: BoundedMap<string, number>;
  readonly #pending = new Map<string, Promise<unknown>>();
  /** When the gate last listed (0: never); a relist waits for one cooldown after it. */
  #listedAt = 0;
  #relisting: Promise<readonly string[] | undefined> | undefined;
  /** Until when listing is not tried (it failed). */
  #listFailedUntil = 0;
  #tokens: number;
  #refilledAt: number;
  #inFlight = 0;
  readonly stats: UnverifiedReadStats = { admitted: 0, refusedUnknown: 0, refusedBusy: 0, listings: 0 };

  constructor(options: UnverifiedReadsOptions) {
    this.#o = options;
    this.#known = new BoundedMap(options.maxEntries);
    this.#missing = new BoundedMap(options.maxEntries);
    this.#tokens = options.settings.burst;
    this.#refilledAt = options.now();
  }

  /**
   * `read()` for `keyId` if the gate admits it; NOT_FOUND (without the id) for an id the store lacks,
   * UNAVAILABLE when the budget is spent. Concurrent calls for one id share one admission.
   */
  read<T>(keyId: string, read: () => Promise<T>): Promise<T> {
    const pending = this.#pending.get(keyId);
    if (pending) return pending as Promise<T>;
    const flight = this.#admitAndRead(keyId, read).finally(() => this.#pending.delete(keyId));
    this.#pending.set(keyId, flight);
    return flight;
  }

  /** A write by this process: the id's answers are forgotten. */
  forget(keyId: string): void {
    this.#missing.delete(keyId);
    this.#listedAt = 0;
  }

  /**
   * Forgets the negative answers and the listing time (KeyManager.clear). Known ids stay known: a known id only
   * skips the gate, and if it is gone the read says so.
   */
  clear(): void {
    this.#missing.clear();
    this.#listedAt = 0;
  }

  async #admitAndRead<T>(keyId: string, read: () => Promise<T>): Promise<T> {
    const now = this.#o.now();
    if (this.#known.has(keyId)) return this.#through(keyId, read);
    const until = this.#missing.get(keyId);
    if (until !== undefined && now < until) throw this.#unknown();
    if (this.#o.listIds && now >= this.#listFailedUntil) {
      const listed = await this.#isListed(keyId);
      if (listed === true) return this.#through(keyId, read);
      if (listed === false) {
        this.#missing.set(keyId, now + this.#o.cooldownMs);
        throw this.#unknown();
      }
      // undefined: listing failed; the budget decides.
    }
    return this.#budgeted(keyId, read);
  }

  /** True if listed (after at most one relist per cooldown), false if not, undefined if listing failed. */
  async #isListed(keyId: string): Promise<boolean | undefined> {
    const list = this.#o.listIds as (fresh: boolean) => Promise<readonly string[]>;
    try {
      // The gate's first look lists afresh (the cached listing may be as old as the cache TTL); later looks
      // use the cached listing and relist at most once per cooldown.
      const first = this.#listedAt === 0;
      if (first) {
        this.#listedAt = this.#o.now();
        this.stats.listings++;
      }
      if (has(await list(first), keyId)) return true;
      if (!this.#relisting && this.#o.now() - this.#listedAt >= this.#o.cooldownMs) {
        this.#listedAt = this.#o.now();
        this.stats.listings++;
        this.#relisting = list(true).finally(() => {
          this.#relisting = undefined;
        });
      }
      const fresh = this.#relisting && (await this.#relisting);
      return fresh ? has(fresh, keyId) : false;
    } catch {
      // No list permission, or the store is down: fall back to the budget for one cooldown.
      this.#listFailedUntil = this.#o.now() + Math.max(this.#o.cooldownMs, 1000);
      return undefined;
    }
  }

  async #budgeted<T>(keyId: string, read: () => Promise<T>): Promise<T> {
    const { burst, perSecond, concurrency } = this.#o.settings;
    const now = this.#o.now();
    const elapsed = Math.max(0, now - this.#refilledAt);
    this.#tokens = Math.min(burst, this.#tokens + (elapsed / 1000) * perSecond);
    this.#refilledAt = now;
    if (this.#inFlight >= concurrency || this.#tokens < 1) {
      this.stats.refusedBusy++;
      throw new KeyStoreError(
        'UNAVAILABLE',
        `too many reads of unknown key ids named by unverified tokens are running (at most ${concurrency} at once, ${burst} at once then ${perSecond} per second): refused without a read. Retry later; a store that can list its ids (list permission) avoids this budget`,
        { storeType: this.#o.storeType },
      );
    }
    this.#tokens -= 1;
    this.#inFlight++;
    try {
      return await this.#through(keyId, read);
    } finally {
      this.#inFlight--;
    }
  }

  /** Reads, and remembers the answer: found (known) or not (missing, without echoing the id). */
  async #through<T>(keyId: string, read: () => Promise<T>): Promise<T> {
    this.stats.admitted++;
    try {
      const value = await read();
      this.#known.set(keyId, true);
      this.#missing.delete(keyId);
      return value;
    } catch (error) {
      if (!isKeyStoreError(error, 'NOT_FOUND')) throw error;
      this.#known.delete(keyId);
      this.#missing.set(keyId, this.#o.now() + this.#o.cooldownMs);
      throw this.#unknown();
    }
  }

  #unknown(): KeyStoreError {
    this.stats.refusedUnknown++;
    return new KeyStoreError(
      'NOT_FOUND',
      'no key pair has the id the unverified input (a token) names: check the token issuer, or that the key exists in this store',
      { storeType: this.#o.storeType },
    );
  }
}
