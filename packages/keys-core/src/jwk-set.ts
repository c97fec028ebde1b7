/**
 * Building the JWK Set from many ids without a storm of store requests: the ids are read with bounded
 * parallelism (a JWK Set of 100 ids costs 100 reads once, not 100 sequential round trips, and never more
 * than JWKS_CONCURRENCY requests at a time against the backend). The id list itself is cached by KeyManager.
 * The one builder: KeyManager.jwks and keys-jwt's JWKS endpoint both build through `buildJwkSet`.
 *
 * The set degrades per key, not as a whole: whoever can write one broken entry (a mismatched pair, a public
 * key that is not a PEM, a key of a type the backend cannot give a public key for) must not deny every other
 * id's keys. An id whose read fails with anything but an outage is left out and reported (`onSkip`: the id and
 * the error code, never the error's text, which may quote what was stored); the rest is served. An outage
 * (UNAVAILABLE, or an unmapped error) fails the whole set, so the caller's stale-if-error rules decide, and so
 * does a set where every id failed (nothing to serve: a revoked credential is then an ACCESS_DENIED, not an
 * empty set).
 *
 * A key the algorithm table refuses (see algorithms.ts: RSA under 2048 bits, a small-order Ed25519 key, a
 * curve we do not sign with) is left out too: nothing signs with it and nothing verifies with it, so publishing
 * it would only tell verifiers to trust what KeyManager.verify and verifyJwt refuse.
 */
import { mapLimit } from './adapter/index.js';
import { isKeyStoreError } from './errors.js';
import type { JwkSet, PublicJwk } from './jwk.js';
import { isOutage } from './key-cache.js';
import type { PublicKeyPair } from './public-key-pair.js';

/** Most ids read at once while building a JWK Set. */
export const JWKS_CONCURRENCY = 8;

/** How buildJwkSet reads. */
export interface BuildJwkSetOptions {
  /** Most ids read at once. Default: JWKS_CONCURRENCY (8). */
  readonly concurrency?: number;
  /** Told about each id (or key of an id) left out because it is broken: its id and error code. Must not throw. */
  readonly onSkip?: (keyId: string, code: string) => void;
}

/** True if the algorithm table accepts the pair's key. */
function accepted(pair: PublicKeyPair): boolean {
  try {
    return pair.alg !== undefined;
  } catch {
    return false;
  }
}

const codeOf = (error: unknown): string => (isKeyStoreError(error) ? error.code : 'INVALID_KEY');

/**
 * The JWK Set of `ids`: each id's verification keys in id order, each key once (by thumbprint), keys the
 * algorithm table refuses and broken entries left out.
 */
export async function buildJwkSet(
  ids: readonly string[],
  verificationKeys: (keyId: string) => Promise<readonly PublicKeyPair[]>,
  options: BuildJwkSetOptions = {},
): Promise<JwkSet> {
  const failures: unknown[] = [];
  const skip = (keyId: string, error: unknown) => {
    failures.push(error);
    try {
      options.onSkip?.(keyId, codeOf(error));
    } catch {
      // A throwing hook must not take the set down.
    }
  };
  const perId = await mapLimit(ids, options.concurrency ?? JWKS_CONCURRENCY, async (id) => {
    try {
      return await verificationKeys(id);
    } catch (error) {
      if (isOutage(error)) throw error;
      skip(id, error);
      return [];
    }
  });
  if (ids.length > 0 && failures.length === ids.length) throw failures[0];
  const keys: PublicJwk[] = [];
  const seen = new Set<string>();
  for (const pairs of perId) {
    for (const pair of pairs) {
      let jwk: PublicJwk;
      try {
        jwk = pair.jwk;
      } catch (error) {
        skip(pair.keyId, error);
        continue;
      }
      if (!seen.has(jwk.kid) && accepted(pair)) {
        seen.add(jwk.kid);
        keys.push(jwk);
      }
    }
  }
  return { keys };
}
