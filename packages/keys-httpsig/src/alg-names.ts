/**
 * RFC 9421's names (section 6.2.2, the HTTP Signature Algorithms registry) for the rows of core's one
 * algorithm table (keys-core/src/algorithms.ts). Only names: which keys exist, and how they sign and verify,
 * is the table's. Core has no RSA-PSS row, so `rsa-pss-sha512` is refused like `hmac-sha256` (shared HMAC
 * keys are forbidden by the Web Bot Auth profile anyway).
 */
import type { KeyAlgorithm } from '@phlow/keys-core';

export type HttpSigAlgorithm = 'ed25519' | 'ecdsa-p256-sha256' | 'rsa-v1_5-sha256';

const BY_KEY: Readonly<Record<KeyAlgorithm, HttpSigAlgorithm>> = {
  EdDSA: 'ed25519',
  ES256: 'ecdsa-p256-sha256',
  RS256: 'rsa-v1_5-sha256',
};

/** The RFC 9421 name of a key algorithm of core's table. */
export function httpSigAlgorithm(alg: KeyAlgorithm): HttpSigAlgorithm {
  return BY_KEY[alg];
}

/** The key algorithm an RFC 9421 `alg` parameter names, or undefined for one we never accept. */
export function keyAlgorithmOf(name: string): KeyAlgorithm | undefined {
  return (Object.keys(BY_KEY) as KeyAlgorithm[]).find((alg) => BY_KEY[alg] === name);
}
