/**
 * From a KeyPair to what jose needs: node:crypto KeyObjects made once per pair, and the JWS algorithm its key
 * type signs with. Key objects are kept in a WeakMap keyed by the KeyPair, so they live exactly as long as
 * KeyManager's cache holds the pair (jose caches its own CryptoKey per KeyObject the same way), and the PEM
 * is parsed once, not per token.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { type KeyManager, type KeyPair, KeyStoreError, type PublicKeyPair } from '@phlow/keys-core';

/** The KeyManager methods this package uses (a structural type, so two copies of core still fit). */
export type JwtKeys = Pick<KeyManager, 'getKeyPair' | 'getVerificationKeys' | 'refresh' | 'store'>;

/** The JWS algorithms we sign with, by node:crypto key type. */
export type SigningAlg = 'EdDSA' | 'RS256';

const ALG_BY_KEY_TYPE: Record<string, SigningAlg> = { ed25519: 'EdDSA', rsa: 'RS256' };

/** The key type each accepted `alg` needs. `Ed25519` is the RFC 9864 name for EdDSA with Ed25519. */
export const KEY_TYPE_BY_ALG: Readonly<Record<string, string>> = {
  EdDSA: 'ed25519',
  Ed25519: 'ed25519',
  RS256: 'rsa',
};

interface PairKeys {
  privateKey?: KeyObject;
  publicKey?: KeyObject;
}

const objects = new WeakMap<PublicKeyPair, PairKeys>();

function entry(pair: PublicKeyPair): PairKeys {
  let keys = objects.get(pair);
  if (!keys) {
    keys = {};
    objects.set(pair, keys);
  }
  return keys;
}

function unsupported(pair: PublicKeyPair, type: string | undefined): KeyStoreError {
  return new KeyStoreError(
    'UNSUPPORTED',
    `key "${pair.keyId}" is ${type ?? 'an unknown type'}; JWTs need an Ed25519 key (EdDSA) or an RSA key of at least 2048 bits (RS256): rotate it to an Ed25519 key`,
    { keyId: pair.keyId },
  );
}

function parseFailed(pair: PublicKeyPair, half: string): KeyStoreError {
  // No cause: a parser message can quote the PEM.
  return new KeyStoreError('INVALID_KEY', `the ${half} key of "${pair.keyId}" does not parse as a PEM key`, {
    keyId: pair.keyId,
  });
}

/** The public key of `pair` as a KeyObject, parsed once per pair. */
export function publicKeyObject(pair: PublicKeyPair): KeyObject {
  const keys = entry(pair);
  if (!keys.publicKey) {
    try {
      keys.publicKey = createPublicKey(pair.publicKey);
    } catch {
      throw parseFailed(pair, 'public');
    }
  }
  return keys.publicKey;
}

/** The private key of `pair` as a KeyObject, parsed once per pair. */
export function privateKeyObject(pair: KeyPair): KeyObject {
  const keys = entry(pair);
  if (!keys.privateKey) {
    try {
      keys.privateKey = createPrivateKey(pair.privateKey);
    } catch {
      throw parseFailed(pair, 'private');
    }
  }
  return keys.privateKey;
}

/** The node:crypto key type of the pair's public key (`ed25519`, `rsa`, ...). */
export function keyType(pair: PublicKeyPair): string | undefined {
  return publicKeyObject(pair).asymmetricKeyType;
}

/** The algorithm `pair` signs JWTs with; UNSUPPORTED for other key types and RSA under 2048 bits. */
export function signingAlg(pair: PublicKeyPair): SigningAlg {
  const key = publicKeyObject(pair);
  const type = key.asymmetricKeyType;
  const alg = ALG_BY_KEY_TYPE[type ?? ''];
  if (!alg) throw unsupported(pair, type);
  if (alg === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw unsupported(pair, `RSA-${key.asymmetricKeyDetails?.modulusLength ?? '?'}`);
  }
  return alg;
}

/** What a KeyManager with the one signing seam offers (core >= 1.1): the signing key and a signature by it. */
interface SigningSeam {
  rotationState(keyId: string): Promise<{ readonly signing: PublicKeyPair }>;
  signWithKey(key: PublicKeyPair, data: Uint8Array | string): Promise<Uint8Array>;
}

/** The manager's signing seam, or undefined for an older core. */
export function signingSeam(keys: JwtKeys): SigningSeam | undefined {
  const k = keys as Partial<SigningSeam>;
  return typeof k.rotationState === 'function' && typeof k.signWithKey === 'function'
    ? (k as SigningSeam)
    : undefined;
}

/**
 * The pair that signs for `keyId` now. KeyManager decides which one that is: with staged rotation a new key
 * is published at once but signs only after the rotation delay, so verifiers learn it first. Asked through
 * `rotationState`, which hands out no private key (a signer store has none); an older core signs with the
 * current pair.
 */
export async function signingKeyPair(keys: JwtKeys, keyId: string): Promise<PublicKeyPair> {
  const seam = signingSeam(keys);
  if (seam) return (await seam.rotationState(keyId)).signing;
  const dedicated = (keys as { getSigningKey?: (id: string) => Promise<KeyPair> }).getSigningKey;
  return typeof dedicated === 'function' ? dedicated.call(keys, keyId) : keys.getKeyPair(keyId);
}
