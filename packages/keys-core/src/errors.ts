/**
 * The one error class of phlow-keys. Every failure a caller can act on is a KeyStoreError with a `code`.
 *
 * Recognise it with `isKeyStoreError(e)` or `e.name === 'KeyStoreError'`, not `instanceof`: an application can
 * end up with two copies of core, and an adapter built against one throws errors the other must recognise.
 * Messages start with where they come from (`[phlow] [vault] ...`), say what to do next, and never contain
 * key material. A `cause` is kept for debugging; adapters must not attach a cause that could echo a secret.
 */

export type KeyStoreErrorCode =
  /** The key id does not exist (or was deleted). */
  | 'NOT_FOUND'
  /** Credentials were refused: a denied token, a missing IAM permission, a wrong master key. */
  | 'ACCESS_DENIED'
  /** The backend cannot be reached or cannot serve now: refused connection, timeout, sealed Vault. */
  | 'UNAVAILABLE'
  /** A conditional write lost a race, or an id exists that must not be overwritten. */
  | 'CONFLICT'
  /** Configuration is missing or wrong; the message names the option or environment variable. */
  | 'INVALID_CONFIG'
  /** A key id breaks the shared rule (see key-id.ts). Raised before any store is touched. */
  | 'INVALID_KEY_ID'
  /** Stored or supplied key material does not parse, or the halves do not belong together. */
  | 'INVALID_KEY'
  /** Stored data failed authentication or is corrupt; nothing was changed. */
  | 'INTEGRITY'
  /** The store or key type cannot do this (a write to a read-only store, signing with an RSA key). */
  | 'UNSUPPORTED'
  /** No adapter package could be loaded for a store type. */
  | 'ADAPTER_NOT_FOUND'
  /** An adapter was built for another major version of the KeyStore contract. */
  | 'ADAPTER_INCOMPATIBLE'
  /** The audit log cannot be written and `PHLOW_KEY_AUDIT_FAIL_CLOSED` refuses key operations without it. */
  | 'AUDIT_UNAVAILABLE';

export interface KeyStoreErrorOptions {
  /** The store type the error comes from (`vault`, `aws`, ...). */
  readonly storeType?: string | undefined;
  /** The key id concerned, if any. Ids are not secret. */
  readonly keyId?: string | undefined;
  readonly cause?: unknown;
}

export class KeyStoreError extends Error {
  override readonly name = 'KeyStoreError';
  readonly code: KeyStoreErrorCode;
  readonly storeType: string | undefined;
  readonly keyId: string | undefined;

  /** `message` is the bare sentence; the `[phlow] [store]` prefix is added here. */
  constructor(code: KeyStoreErrorCode, message: string, options: KeyStoreErrorOptions = {}) {
    const where = options.storeType ? `[phlow] [${options.storeType}] ` : '[phlow] ';
    super(where + message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.storeType = options.storeType;
    this.keyId = options.keyId;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      storeType: this.storeType,
      keyId: this.keyId,
      message: this.message,
    };
  }
}

/** True for a KeyStoreError from any copy of core, optionally with the given code. */
export function isKeyStoreError(error: unknown, code?: KeyStoreErrorCode): error is KeyStoreError {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return e.name === 'KeyStoreError' && typeof e.code === 'string' && (code === undefined || e.code === code);
}
