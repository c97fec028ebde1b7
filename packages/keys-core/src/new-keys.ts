/**
 * Fresh key pairs for KeyManager (generate, rotate) and the algorithm of a key it already has, so that a
 * rotation keeps the algorithm of the key it replaces.
 */
import { generateKeyPair as generateKeyPairCallback } from 'node:crypto';
import { promisify } from 'node:util';
import { generateEd25519 } from './ed25519.js';
import { KeyStoreError } from './errors.js';
import type { KeyAlgorithmName } from './manager-options.js';
import { ed25519PrivateKeyToPem, ed25519PublicKeyToPem } from './pem.js';
import type { PublicKeyPair } from './public-key-pair.js';

const ALGORITHMS: readonly KeyAlgorithmName[] = ['EdDSA', 'ES256', 'RS256'];

/** A fresh Ed25519 pair as PKCS#8 / SPKI PEMs. */
export function newEd25519Pems(): { privateKey: string; publicKey: string } {
  const { seed, publicKey } = generateEd25519();
  try {
    return { privateKey: ed25519PrivateKeyToPem(seed), publicKey: ed25519PublicKeyToPem(publicKey) };
  } finally {
    seed.fill(0);
  }
}

const generate = promisify(generateKeyPairCallback);

/**
 * A fresh pair for `algorithm` as PKCS#8 / SPKI PEMs. RS256: RSA-2048, exponent 65537, byte for byte the
 * layout the Python Phlow's key manager writes. ES256: P-256. Async: RSA generation takes tens of ms.
 */
export async function newKeyPems(
  algorithm: KeyAlgorithmName,
): Promise<{ privateKey: string; publicKey: string }> {
  if (algorithm === 'EdDSA') return newEd25519Pems();
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  if (algorithm === 'RS256') {
    return generate('rsa', {
      modulusLength: 2048,
      publicExponent: 0x10001,
      privateKeyEncoding,
      publicKeyEncoding,
    });
  }
  if (algorithm === 'ES256')
    return generate('ec', { namedCurve: 'P-256', privateKeyEncoding, publicKeyEncoding });
  throw unknownAlgorithm();
}

/** `algorithm` if it names one KeyManager generates; UNSUPPORTED otherwise. */
export function checkedAlgorithm(algorithm: unknown): KeyAlgorithmName {
  if (ALGORITHMS.includes(algorithm as KeyAlgorithmName)) return algorithm as KeyAlgorithmName;
  throw unknownAlgorithm();
}

/** The JWS algorithm of a key: EdDSA, ES256 or RS256 (UNSUPPORTED for another key type). */
export function algorithmOf(pair: PublicKeyPair): KeyAlgorithmName {
  const alg = pair.jwk.alg;
  if (ALGORITHMS.includes(alg as KeyAlgorithmName)) return alg as KeyAlgorithmName;
  throw new KeyStoreError(
    'UNSUPPORTED',
    `key "${pair.keyId}" is of a type KeyManager cannot make again: rotate it with an explicit algorithm (EdDSA, ES256 or RS256)`,
    { keyId: pair.keyId },
  );
}

function unknownAlgorithm(): KeyStoreError {
  return new KeyStoreError(
    'UNSUPPORTED',
    'algorithm must be "EdDSA" (Ed25519, the default), "ES256" (P-256) or "RS256" (RSA-2048)',
  );
}
