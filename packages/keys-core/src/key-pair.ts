/**
 * KeyPair: what KeyManager hands out from a store that holds exportable keys. The private half is readable
 * on purpose (`pair.privateKey`) but is never printed: it lives in a private field, and JSON.stringify,
 * util.inspect, console.log and template strings all show `[redacted]` instead. The public half and its
 * check come from PublicKeyPair (see public-key-pair.ts), so a pair whose "public" key is a private key
 * cannot exist, whatever a store returned.
 */
import { PublicKeyPair } from './public-key-pair.js';
import { inspectSymbol, REDACTED } from './redact.js';

export class KeyPair extends PublicKeyPair {
  readonly #privateKey: string;

  constructor(keyId: string, privateKey: string, publicKey: string, version?: string, createdAt?: Date) {
    super(keyId, publicKey, version, createdAt);
    this.#privateKey = privateKey;
  }

  /** Private key, PEM (PKCS#8). Handle with care: never log it. */
  get privateKey(): string {
    return this.#privateKey;
  }

  override toJSON(): Record<string, unknown> {
    return {
      keyId: this.keyId,
      publicKey: this.publicKey,
      privateKey: REDACTED,
      version: this.version,
      createdAt: this.createdAt?.toISOString(),
    };
  }

  override toString(): string {
    return `KeyPair(${this.keyId}, private key ${REDACTED})`;
  }

  override [inspectSymbol](): string {
    return `KeyPair { keyId: ${JSON.stringify(this.keyId)}, version: ${JSON.stringify(this.version)}, publicKey: ${JSON.stringify(this.publicKey)}, privateKey: '${REDACTED}' }`;
  }
}
