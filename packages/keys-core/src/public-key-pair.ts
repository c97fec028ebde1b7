/**
 * PublicKeyPair: the public half of a key as KeyManager hands it out, with no private half at all. It is
 * what a store that signs inside its backend (capability `signer`) yields: code that needs a private key
 * gets a `KeyPair` (a subclass) and cannot be handed this instead, because it has no `privateKey` to read.
 *
 * The public PEM is checked once: a "public" key that is a private key (or holds one) is refused with
 * INVALID_KEY, since the public half is printed, published and logged freely.
 */
import { type PublicJwk, publicKeyPemToJwk } from './jwk.js';
import { isValidKeyId } from './key-id.js';
import { assertPublicKeyPem } from './pem.js';
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
    this.#jwk ??= publicKeyPemToJwk(this.publicKey, this.keyId);
    return this.#jwk;
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
