/**
 * What this package asks of KeyManager, and from a pair to what jose needs to verify: the algorithm comes
 * from core's one table (`pair.alg`, see @phlow/keys-core's algorithms.ts), so a key KeyManager refuses to
 * sign or verify with (RSA under 2048 bits, a small-order Ed25519 key, another curve) is refused here too.
 * The public KeyObject jose verifies with is made once per pair and kept in a WeakMap keyed by the pair: it
 * lives exactly as long as KeyManager's cache holds the pair, and the PEM is parsed once, not per token.
 * So does the pair's signature check, core's table's `verifier` for its algorithm (native node:crypto, in
 * this turn: at 8 tokens in flight it costs less CPU and gets more through than WebCrypto's hand-off to the
 * thread pool).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  ALGORITHMS,
  type KeyAlgorithm,
  type KeyManager,
  KeyStoreError,
  type PublicKeyPair,
} from '@phlow/keys-core';

/** The KeyManager this package uses (a structural type, so two copies of core still fit). */
export type JwtKeys = Pick<
  KeyManager,
  | 'auditing'
  | 'getKeyByKid'
  | 'getPublicKeyPair'
  | 'getVerificationKeys'
  | 'recordAudit'
  | 'rotationDelayMs'
  | 'signDetailed'
  | 'store'
>;

/**
 * What the JWKS handler asks of KeyManager besides JwtKeys: core's one JWK Set builder (`jwks`, which
 * degrades per key and reports `skipped` events), its events (`subscribe`, to rebuild when it writes) and its
 * stale-if-error window.
 */
export type JwksKeys = JwtKeys & Pick<KeyManager, 'jwks' | 'subscribe' | 'staleIfErrorMs'>;

/** The JWS algorithms we sign with: core's KeyAlgorithm (EdDSA, ES256, RS256). */
export type SigningAlg = KeyAlgorithm;

const objects = new WeakMap<PublicKeyPair, KeyObject>();

/** The public key of `pair` as a KeyObject, parsed once per pair. */
export function publicKeyObject(pair: PublicKeyPair): KeyObject {
  let key = objects.get(pair);
  if (!key) {
    try {
      key = createPublicKey(pair.publicKey);
    } catch {
      // No cause: a parser message can quote the PEM.
      throw new KeyStoreError(
        'INVALID_KEY',
        `the public key of "${pair.keyId}" does not parse as a PEM key`,
        {
          keyId: pair.keyId,
        },
      );
    }
    objects.set(pair, key);
  }
  return key;
}

/** The pair's algorithm, or undefined when core's table refuses its key (it then verifies nothing). */
export function acceptedAlg(pair: PublicKeyPair): KeyAlgorithm | undefined {
  try {
    return pair.alg;
  } catch {
    return undefined;
  }
}

/** Checks a JWS signature (its bytes) over the signing input; never throws. */
export type SignatureCheck = (input: Uint8Array, signature: Uint8Array) => boolean;

const checks = new WeakMap<PublicKeyPair, SignatureCheck>();

/** The signature check of `pair` from core's algorithm table, made once per pair; undefined if the table refuses the key. */
export function signatureCheck(pair: PublicKeyPair): SignatureCheck | undefined {
  let check = checks.get(pair);
  if (!check) {
    const alg = acceptedAlg(pair);
    if (alg === undefined) return undefined;
    check = ALGORITHMS[alg].verifier(publicKeyObject(pair));
    checks.set(pair, check);
  }
  return check;
}
