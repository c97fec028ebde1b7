/**
 * KeyPair: what KeyManager hands out. The private half is readable on purpose (`pair.privateKey`) but is
 * never printed: it lives in a private field, and JSON.stringify, util.inspect, console.log and template
 * strings all show `[redacted]` instead.
 */
import { type PublicJwk, publicKeyPemToJwk } from './jwk.js';

const REDACTED = '[redacted]';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

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
