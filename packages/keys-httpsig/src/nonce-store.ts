/**
 * Replay refusal: a verifier given a nonce store refuses a signature whose (keyid, nonce) it has seen while
 * that signature could still be accepted (until its `expires` plus the skew). The store is an interface, so a
 * fleet can share one (Redis `SET NX PX`); the in-memory one here is bounded and fails closed: when it is full
 * of entries that have not expired yet it refuses new signatures (NONCE_STORE_FULL: not a replay, so not
 * REPLAYED) rather than forgetting one that could be replayed.
 *
 * One bound for everyone would let one allowed signer fill the store and lock every other signer out until
 * its entries expire, so the verifier also says whose nonce it is (the signer: told only after the signature
 * verified, so a forger cannot spend another signer's share) and each signer may hold at most
 * `maxEntriesPerSigner` of the entries (NONCE_QUOTA_EXCEEDED past that).
 */

import { HttpSigError } from './errors.js';

/** What the verifier tells a nonce store besides the key: given only for a signature that verified. */
export interface NonceContext {
  /**
   * Who the nonce belongs to: the directory's origin (directory mode) or the KeyManager key id (local mode)
   * of the key that verified the signature. A store that bounds what one signer may hold counts by this.
   */
  readonly signer: string;
}

export interface NonceStore {
  /**
   * Records `key` until `expiresAtMs`. True if it was new, false if it was already recorded (a replay).
   * Throws to refuse, an HttpSigError the verifier passes on as it is: `NONCE_STORE_FULL` when the store has
   * no room for a nonce that has not expired, `NONCE_QUOTA_EXCEEDED` when `context.signer` holds its share.
   * `context` is optional, so a store written before it existed keeps working (without per-signer bounds).
   */
  remember(key: string, expiresAtMs: number, context?: NonceContext): boolean | Promise<boolean>;
}

export interface MemoryNonceStoreOptions {
  /** Most nonces kept. Default: 100,000. */
  readonly maxEntries?: number;
  /**
   * Most unexpired nonces one signer (`context.signer`) may hold, from 1 to maxEntries; a further signature of
   * that signer is NONCE_QUOTA_EXCEEDED until some of its nonces expire, and other signers still get in.
   * Nonces remembered without a context count only against maxEntries. Default: a tenth of maxEntries
   * (10,000), so ten signers at their bound are needed to fill the store; a verifier with one signer
   * passes maxEntries.
   */
  readonly maxEntriesPerSigner?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly until: number;
  readonly signer: string | undefined;
}

/** One signer's keys, and a time no later than the earliest of their expiries (a sweep before it frees nothing). */
interface SignerEntries {
  readonly keys: Set<string>;
  earliest: number;
}

function wholeNumber(name: string, value: number, max?: number): number {
  // `size >= NaN` is never true: a NaN bound would be no bound.
  if (!(Number.isSafeInteger(value) && value >= 1 && (max === undefined || value <= max))) {
    const range = max === undefined ? '>= 1' : `from 1 to ${max} (maxEntries)`;
    throw new HttpSigError('INVALID_ARGUMENT', `${name} must be a whole number ${range}`);
  }
  return value;
}

/** A bounded in-memory NonceStore for one process. */
export function createMemoryNonceStore(
  options: MemoryNonceStoreOptions = {},
): NonceStore & { readonly size: number } {
  const max = wholeNumber('maxEntries', options.maxEntries ?? 100_000);
  const perSigner = wholeNumber(
    'maxEntriesPerSigner',
    options.maxEntriesPerSigner ?? Math.max(1, Math.floor(max / 10)),
    max,
  );
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const signers = new Map<string, SignerEntries>();
  // Sweeps walk every entry (or all of one signer's): each is skipped while nothing can have expired, so a
  // signer knocking at a full share or store costs a comparison, not a walk, per refused request.
  let earliest = Number.POSITIVE_INFINITY;
  const drop = (key: string, entry: Entry) => {
    entries.delete(key);
    if (entry.signer === undefined) return;
    const own = signers.get(entry.signer);
    own?.keys.delete(key);
    if (own?.keys.size === 0) signers.delete(entry.signer);
  };
  const sweep = (t: number) => {
    if (earliest > t) return;
    earliest = Number.POSITIVE_INFINITY;
    for (const [key, entry] of entries) {
      if (entry.until <= t) drop(key, entry);
      else earliest = Math.min(earliest, entry.until);
    }
  };
  const sweepSigner = (own: SignerEntries, t: number) => {
    if (own.earliest > t) return;
    own.earliest = Number.POSITIVE_INFINITY;
    for (const key of own.keys) {
      const entry = entries.get(key) as Entry;
      if (entry.until <= t) drop(key, entry);
      else own.earliest = Math.min(own.earliest, entry.until);
    }
  };
  return {
    get size() {
      return entries.size;
    },
    remember(key, expiresAtMs, context) {
      // A NaN expiry is never `<= t`: the entry would never expire, yet `until > t` is false too, so its key
      // would never count as a replay. Infinity would hold a slot for ever.
      if (typeof expiresAtMs !== 'number' || !Number.isFinite(expiresAtMs)) {
        throw new HttpSigError(
          'INVALID_ARGUMENT',
          "expiresAtMs must be a finite number (milliseconds since the epoch): pass the end of the signature's window",
        );
      }
      const t = now();
      const seen = entries.get(key);
      if (seen !== undefined) {
        if (seen.until > t) return false;
        drop(key, seen);
      }
      const signer = context?.signer;
      // A share as large as the store bounds nothing of its own (a verifier with one signer): a signer holding
      // it has filled the store, which is NONCE_STORE_FULL below, not a quota it could be told to raise.
      if (signer !== undefined && perSigner < max) {
        const own = signers.get(signer);
        if (own && own.keys.size >= perSigner) sweepSigner(own, t);
        if (own && own.keys.size >= perSigner) {
          throw new HttpSigError(
            'NONCE_QUOTA_EXCEEDED',
            `this signer holds ${perSigner} unexpired nonces (maxEntriesPerSigner): its new signatures are refused until some expire, so that it cannot fill the store other signers share (raise maxEntriesPerSigner, or have the signer use shorter signature lifetimes)`,
          );
        }
      }
      if (entries.size >= max) sweep(t);
      if (entries.size >= max) {
        throw new HttpSigError(
          'NONCE_STORE_FULL',
          `the nonce store holds ${max} unexpired nonces (maxEntries): new signatures are refused until some expire, rather than forgetting a nonce that could be replayed (raise maxEntries, shorten signature lifetimes, or use a shared nonce store sized for the traffic, such as Redis)`,
        );
      }
      entries.set(key, { until: expiresAtMs, signer });
      earliest = Math.min(earliest, expiresAtMs);
      if (signer !== undefined) {
        let own = signers.get(signer);
        if (!own) {
          own = { keys: new Set(), earliest: Number.POSITIVE_INFINITY };
          signers.set(signer, own);
        }
        own.keys.add(key);
        own.earliest = Math.min(own.earliest, expiresAtMs);
      }
      return true;
    },
  };
}
