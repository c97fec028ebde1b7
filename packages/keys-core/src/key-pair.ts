/**
 * KeyPair: what KeyManager hands out. The private half is readable on purpose (`pair.privateKey`) but is
 * never printed: it lives in a private field, and JSON.stringify, util.inspect, console.log and template
 * strings all show `[redacted]` instead. The public half is printed, so a pair whose "public" key is a private
 * key (or holds one) cannot exist: the constructor refuses it with INVALID_KEY, whatever a store returned.
 */
import { type PublicJwk, publicKeyPemToJwk } from './jwk.js';
import { isValidKeyId } from './key-id.js';
import { assertPublicKeyPem } from './pem.js';
import { publicPemProblem } from './public-pem.js';
import { inspectSymbol, REDACTED } from './redact.js';

// Public PEMs that passed the check (public, so safe to keep): a cache load of a known key skips the parse.
const knownPublic = new Set<string>();
function remember(publicKey: string): void {
  if (knownPublic.has(publicKey)) return;
  if (knownPublic.size >= 1024) knownPublic.clear();
  knownPublic.add(publicKey);
}

export class KeyPair {
  readonly keyId: string;
  /** Public key, PEM (SubjectPublicKeyInfo). */
  readonly publicKey: string;
  /** Store-specific version, when the store keeps versions. */
  readonly version: string | undefined;
  /** When this version was written, when the store knows it. */
  readonly createdAt: Date | undefined;
  readonly #privateKey: string;
  #jwk: PublicJwk | undefined;

  constructor(keyId: string, privateKey: string, publicKey: string, version?: string, createdAt?: Date) {
    this.keyId = keyId;
    this.#privateKey = privateKey;
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

  /** Private key, PEM (PKCS#8). Handle with care: never log it. */
  get privateKey(): string {
    return this.#privateKey;
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
      privateKey: REDACTED,
      version: this.version,
      createdAt: this.createdAt?.toISOString(),
    };
  }

  toString(): string {
    return `KeyPair(${this.keyId}, private key ${REDACTED})`;
  }

  [inspectSymbol](): string {
    return `KeyPair { keyId: ${JSON.stringify(this.keyId)}, version: ${JSON.stringify(this.version)}, publicKey: ${JSON.stringify(this.publicKey)}, privateKey: '${REDACTED}' }`;
  }
}
