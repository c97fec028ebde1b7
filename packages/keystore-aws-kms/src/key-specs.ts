/**
 * The KMS key specs this store makes and signs with, one row per algorithm of core's table: Ed25519 (EdDSA, the
 * default) and P-256 (ES256, for SPIFFE JWT-SVIDs and OAuth `private_key_jwt` clients that refuse EdDSA).
 * KMS returns an ECDSA signature DER-encoded; JWS and core's verifier want it as r || s (RFC 7518 section
 * 3.4, 64 bytes), so it is converted here and nowhere else.
 */
import type { KeyAlgorithm } from '@phlow/keys-core';

export type KmsAlgorithm = Extract<KeyAlgorithm, 'EdDSA' | 'ES256'>;

export interface KmsKeySpec {
  readonly alg: KmsAlgorithm;
  readonly keySpec: 'ECC_NIST_EDWARDS25519' | 'ECC_NIST_P256';
  readonly signingAlgorithm: 'ED25519_SHA_512' | 'ECDSA_SHA_256';
  /** The signature as core verifies it, or undefined if KMS's answer is not one. */
  readonly signature: (fromKms: Uint8Array) => Uint8Array | undefined;
}

const ED25519: KmsKeySpec = {
  alg: 'EdDSA',
  keySpec: 'ECC_NIST_EDWARDS25519',
  signingAlgorithm: 'ED25519_SHA_512',
  signature: (s) => (s.length === 64 ? s : undefined),
};

const P256: KmsKeySpec = {
  alg: 'ES256',
  keySpec: 'ECC_NIST_P256',
  signingAlgorithm: 'ECDSA_SHA_256',
  signature: (der) => derToJose(der, 32),
};

export const KMS_ALGORITHMS: readonly KmsAlgorithm[] = ['EdDSA', 'ES256'];

export function specOfAlgorithm(alg: KmsAlgorithm): KmsKeySpec {
  return alg === 'ES256' ? P256 : ED25519;
}

/** The row for a KMS key spec, or undefined for a key this store did not make (RSA, another curve). */
export function specOfKeySpec(keySpec: string | undefined): KmsKeySpec | undefined {
  return keySpec === ED25519.keySpec ? ED25519 : keySpec === P256.keySpec ? P256 : undefined;
}

/**
 * An ECDSA signature `SEQUENCE { INTEGER r, INTEGER s }` (DER, as KMS returns it) as r || s, each left-padded
 * to `size` bytes; undefined for anything else.
 */
export function derToJose(der: Uint8Array, size: number): Uint8Array | undefined {
  if (der.length < 8 || der[0] !== 0x30) return undefined;
  let at = 2;
  const seqLength = der[1]!;
  if (seqLength === 0x81) {
    at = 3;
    if (der[2] !== der.length - 3) return undefined;
  } else if (seqLength !== der.length - 2) return undefined;
  const out = new Uint8Array(2 * size);
  for (let i = 0; i < 2; i++) {
    if (der[at] !== 0x02) return undefined;
    const length = der[at + 1]!;
    let start = at + 2;
    const end = start + length;
    if (length === 0 || end > der.length) return undefined;
    while (start < end - 1 && der[start] === 0) start++;
    if (end - start > size) return undefined;
    out.set(der.subarray(start, end), (i + 1) * size - (end - start));
    at = end;
  }
  return at === der.length ? out : undefined;
}
