/**
 * Replay refusal: a verifier given a nonce store refuses a signature whose (keyid, nonce) it has seen while
 * that signature could still be accepted (until its `expires` plus the skew). The store is an interface, so a
 * fleet can share one (Redis `SET NX PX`); the in-memory one here is bounded and fails closed: when it is full
 * of entries that have not expired yet it refuses new signatures (REPLAYED, saying so) rather than forgetting
 * one that could be replayed.
 */

import { HttpSigError } from './errors.js';

export interface NonceStore {
  /**
   * Records `key` until `expiresAtMs`. True if it was new, false if it was already recorded (a replay).
   * Throws to refuse (a full store).
   */
  remember(key: string, expiresAtMs: number): boolean | Promise<boolean>;
}

export interface MemoryNonceStoreOptions {
  /** Most nonces kept. Default: 100,000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export class NonceStoreFullError extends Error {
  override readonly name = 'NonceStoreFullError';
}

/** A bounded in-memory NonceStore for one process. */
export function createMemoryNonceStore(
  options: MemoryNonceStoreOptions = {},
): NonceStore & { readonly size: number } {
  const max = options.maxEntries ?? 100_000;
  if (!(Number.isSafeInteger(max) && max >= 1)) {
    // `size >= NaN` is never true: a NaN bound would be no bound.
    throw new HttpSigError('INVALID_ARGUMENT', 'maxEntries must be a whole number >= 1');
  }
  const now = options.now ?? Date.now;
  const entries = new Map<string, number>();
  const sweep = () => {
    const t = now();
    for (const [key, until] of entries) if (until <= t) entries.delete(key);
  };
  return {
    get size() {
      return entries.size;
    },
    remember(key, expiresAtMs) {
      const until = entries.get(key);
      if (until !== undefined && until > now()) return false;
      if (entries.size >= max) sweep();
      if (entries.size >= max) {
        throw new NonceStoreFullError(
          `[phlow] [httpsig] the nonce store holds ${max} unexpired nonces: refusing rather than forgetting one (raise maxEntries or shorten signature lifetimes)`,
        );
      }
      entries.set(key, expiresAtMs);
      return true;
    },
  };
}
