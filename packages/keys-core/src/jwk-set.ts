/**
 * Building the JWK Set from many ids without a storm of store requests: the ids are read with bounded
 * parallelism (a JWK Set of 100 ids costs 100 reads once, not 100 sequential round trips, and never more
 * than JWKS_CONCURRENCY requests at a time against the backend). The id list itself is cached by KeyManager.
 * The one builder: KeyManager.jwks and keys-jwt's JWKS endpoint both build through `buildJwkSet`.
 *
 * A key the algorithm table refuses (see algorithms.ts: RSA under 2048 bits, a small-order Ed25519 key, a
 * curve we do not sign with) is left out: nothing signs with it and nothing verifies with it, so publishing it
 * would only tell verifiers to trust what KeyManager.verify and verifyJwt refuse.
 */
import { mapLimit } from './adapter/index.js';
import type { JwkSet, PublicJwk } from './jwk.js';
import type { PublicKeyPair } from './public-key-pair.js';

/** Most ids read at once while building a JWK Set. */
export const JWKS_CONCURRENCY = 8;

/** How buildJwkSet reads. */
export interface BuildJwkSetOptions {
  /** Most ids read at once. Default: JWKS_CONCURRENCY (8). */
  readonly concurrency?: number;
}

/** True if the algorithm table accepts the pair's key. */
function accepted(pair: PublicKeyPair): boolean {
  try {
    return pair.alg !== undefined;
  } catch {
    return false;
  }
}

/**
 * The JWK Set of `ids`: each id's verification keys in id order, each key once (by thumbprint), keys the
 * algorithm table refuses left out.
 */
export async function buildJwkSet(
  ids: readonly string[],
  verificationKeys: (keyId: string) => Promise<readonly PublicKeyPair[]>,
  options: BuildJwkSetOptions = {},
): Promise<JwkSet> {
  const perId = await mapLimit(ids, options.concurrency ?? JWKS_CONCURRENCY, verificationKeys);
  const keys: PublicJwk[] = [];
  const seen = new Set<string>();
  for (const pairs of perId) {
    for (const pair of pairs) {
      if (!seen.has(pair.kid) && accepted(pair)) {
        seen.add(pair.kid);
        keys.push(pair.jwk);
      }
    }
  }
  return { keys };
}
