/**
 * The public description of a key pair that commands print and `--json` returns. Built from the public half
 * only, so nothing here can ever carry private key material.
 */
import type { PublicKeyPair } from '@phlow/keys-core';

export interface KeyInfo {
  readonly keyId: string;
  /** RFC 7638 thumbprint of the public key: the `kid` verifiers see in the JWK Set. */
  readonly kid: string;
  /** JWS algorithm: `EdDSA` for Ed25519, `ES256` for P-256, `RS256` for RSA (the Python Phlow's). */
  readonly alg: string | null;
  /** `Ed25519`, `RSA`, `P-256`, ... */
  readonly keyType: string;
  readonly version: string | null;
  readonly createdAt: string | null;
}

export function keyInfo(pair: PublicKeyPair): KeyInfo {
  const jwk = pair.jwk;
  return {
    keyId: pair.keyId,
    kid: jwk.kid,
    alg: jwk.alg ?? null,
    keyType: jwk.crv ?? jwk.kty,
    version: pair.version ?? null,
    createdAt: pair.createdAt?.toISOString() ?? null,
  };
}
