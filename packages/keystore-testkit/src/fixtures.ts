/**
 * Key material for conformance tests: fresh Ed25519 pairs, fresh ES256 (P-256) pairs, and one RSA-4096 pair
 * (generated once per process, it takes a second) standing for the large PEMs older deployments stored.
 */
import { generateKeyPairSync } from 'node:crypto';
import { newEd25519Pems } from '@phlow/keys-core';

export interface PemPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

export function ed25519Pair(): PemPair {
  return newEd25519Pems();
}

/** A P-256 pair for ES256: PKCS#8 private key, SPKI public key, as `newKeyPems('ES256')` writes them. */
export function es256Pair(): PemPair {
  return generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

let rsa4096: PemPair | undefined;

export function rsa4096Pair(): PemPair {
  rsa4096 ??= generateKeyPairSync('rsa', {
    modulusLength: 4096,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return rsa4096;
}

/** A key id that no other test run uses, so tests can share one backend. */
export function uniqueKeyId(label: string): string {
  return `ct-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
