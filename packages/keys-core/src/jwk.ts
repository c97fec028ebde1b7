/**
 * Public keys as JWKs, identified by their RFC 7638 thumbprint.
 *
 * The `kid` is the thumbprint, so it is the same wherever the key is published and changes exactly when
 * the key does: a verifier that caches a JWK Set can tell a rotated key from a new one without asking us.
 */
import { createHash, type JsonWebKey, type KeyObject } from 'node:crypto';
import { keyAlgorithm } from './algorithms.js';
import { parsePublicKey } from './pem.js';

export interface PublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly use: 'sig';
  readonly alg?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly n?: string;
  readonly e?: string;
}

export interface JwkSet {
  readonly keys: PublicJwk[];
}

// RFC 7638 section 3.2: only the required members, in lexicographic order, no whitespace.
const REQUIRED_MEMBERS: Record<string, readonly string[]> = {
  OKP: ['crv', 'kty', 'x'],
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
};

/** RFC 7638 JWK thumbprint (SHA-256, base64url). */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members = REQUIRED_MEMBERS[jwk.kty ?? ''];
  if (!members) throw new Error(`unsupported JWK key type ${String(jwk.kty)}`);
  const canonical = `{${members.map((m) => `"${m}":${JSON.stringify((jwk as Record<string, unknown>)[m])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * The public JWK of a PEM public key, with `kid` = thumbprint and `use` = sig. `alg` is the algorithm table's
 * (EdDSA, ES256, RS256), and only for a key the table accepts: a key nothing signs or verifies with is not
 * advertised as usable for one.
 */
export function publicKeyPemToJwk(publicKeyPem: string, keyId?: string): PublicJwk {
  const key = parsePublicKey(publicKeyPem, keyId);
  let alg: string | undefined;
  try {
    alg = keyAlgorithm(key, keyId);
  } catch {
    alg = undefined;
  }
  return keyObjectToJwk(key, alg);
}

/**
 * The public JWK of a parsed public key, `alg` given by the caller (undefined when the algorithm table refuses
 * the key): for PublicKeyPair, which has both already and so parses and checks each key once.
 */
export function keyObjectToJwk(key: KeyObject, alg: string | undefined): PublicJwk {
  const jwk = key.export({ format: 'jwk' });
  const { kty, crv, x, y, n, e } = jwk;
  return JSON.parse(
    JSON.stringify({ kty, crv, x, y, n, e, kid: jwkThumbprint(jwk), use: 'sig', ...(alg ? { alg } : {}) }),
  ) as PublicJwk;
}
