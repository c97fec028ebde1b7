/**
 * PublicKeyPair: the public half of a key as KeyManager hands it out, with no private half at all. It is
 * what a store that signs inside its backend (capability `signer`) yields: code that needs a private key
 * gets a `KeyPair` (a subclass) and cannot be handed this instead, because it has no `privateKey` to read.
 *
 * The public PEM is checked once: a "public" key that is a private key (or holds one) is refused with
 * INVALID_KEY, since the public half is printed, published and logged freely.
 *
 * `alg` is where the algorithm table's acceptance rule meets every key (see algorithms.ts): signing, verifying
 * and the JWK Set all ask it, so a key one of them refuses (RSA under 2048 bits, a small-order Ed25519 key, a
 * curve we do not sign with) is refused by all of them. It is asked when the key is first used, not when the
 * pair is made: a store that holds one such version among good ones still serves the good ones.
 */
import type { KeyObject } from 'node:crypto';
import { type KeyAlgorithm, keyAlgorithm } from './algorithms.js';
import { isKeyStoreError, type KeyStoreError } from './errors.js';
import { keyObjectToJwk, type PublicJwk } from './jwk.js';
import { isValidKeyId } from './key-id.js';
import { assertPublicKeyPem, parsePublicKey } from './pem.js';
import { publicPemProblem } from './public-pem.js';
import { inspectSymbol } from './redact.js';

// Public PEMs that passed the check (public, so safe to keep): a cache load of a known key skips the parse.
const knownPublic = new Set<string>();
function remember(publicKey: string): void {
  if (knownPublic.has(publicKey)) return;
  if (knownPublic.size >= 1024) knownPublic.clear();
  knownPublic.add(publicKey);
}

export class PublicKeyPair {
  readonly keyId: string;
  /** Public key, PEM (SubjectPublicKeyInfo). */
  readonly publicKey: string;
  /** Store-specific version, when the store keeps versions. */
  readonly version: string | undefined;
  /** When this version was written, when the store knows it. */
  readonly createdAt: Date | undefined;
  #jwk: PublicJwk | undefined;
  #alg: KeyAlgorithm | KeyStoreError | undefined;

  constructor(keyId: string, publicKey: string, version?: string, createdAt?: Date) {
    this.keyId = keyId;
    if (!knownPublic.has(publicKey) && publicPemProblem(publicKey) !== undefined) {
      const id = isValidKeyId(keyId) ? keyId : '<id>';
      assertPublicKeyPem(publicKey, isValidKeyId(keyId) ? keyId : undefined, {
        hint: `store the pair "${id}" again with its real public key (KeyManager.storeKeyPair checks it), or replace it with generateKeyPair("${id}", { overwrite: true })`,
      });
    }
    remember(publicKey);
    this.publicKey = publicKey;
    this.version = version;
    this.createdAt = createdAt;
  }

  /** The public key as a JWK with its RFC 7638 thumbprint as `kid`. */
  get jwk(): PublicJwk {
    if (this.#jwk === undefined) {
      // The parsed key and the algorithm rule's answer are the pair's own (each computed once), so the JWK,
      // `alg` and signing never parse or check the same key twice. A key the rule refuses gets no `alg`.
      let alg: KeyAlgorithm | undefined;
      try {
        alg = this.alg;
      } catch {
        alg = undefined;
      }
      this.#jwk = keyObjectToJwk(publicKeyObject(this), alg);
    }
    return this.#jwk;
  }

  /**
   * The algorithm this key signs and verifies with: `EdDSA` (Ed25519), `ES256` (P-256) or `RS256` (RSA).
   * Throws UNSUPPORTED for other key types and RSA under 2048 bits, INVALID_KEY for a small-order or
   * non-canonical Ed25519 key (the same answer every time: the rule runs once per pair).
   */
  get alg(): KeyAlgorithm {
    if (this.#alg === undefined) {
      try {
        this.#alg = keyAlgorithm(publicKeyObject(this), this.keyId);
      } catch (error) {
        if (!isKeyStoreError(error)) throw error;
        this.#alg = error;
      }
    }
    if (typeof this.#alg !== 'string') throw this.#alg;
    return this.#alg;
  }

  /** The RFC 7638 thumbprint of the public key. */
  get kid(): string {
    return this.jwk.kid;
  }

  toJSON(): Record<string, unknown> {
    return {
      keyId: this.keyId,
      publicKey: this.publicKey,
      version: this.version,
      createdAt: this.createdAt?.toISOString(),
    };
  }

  toString(): string {
    return `PublicKeyPair(${this.keyId}, public half only)`;
  }

  [inspectSymbol](): string {
    return `PublicKeyPair { keyId: ${JSON.stringify(this.keyId)}, version: ${JSON.stringify(this.version)}, publicKey: ${JSON.stringify(this.publicKey)} }`;
  }
}

const keyObjects = new WeakMap<PublicKeyPair, KeyObject>();

/** The pair's public key as a node:crypto KeyObject, parsed once per pair (for core's own files). */
export function publicKeyObject(pair: PublicKeyPair): KeyObject {
  let key = keyObjects.get(pair);
  if (key === undefined) {
    key = parsePublicKey(pair.publicKey, pair.keyId);
    keyObjects.set(pair, key);
  }
  return key;
}
