/**
 * The exit codes of phlow-keys, one table for the whole CLI, so a script can tell "no such key" from "the
 * store is down" without parsing messages. Documented in README.md; changing a number is a breaking change.
 */
import type { KeyStoreErrorCode } from '@phlow/keys-core';

export const EXIT = {
  /** Done; for `verify`, the signature is valid. */
  OK: 0,
  /** Failed: an invalid signature, a failed `doctor` check, a failed migration, an unexpected error. */
  FAILURE: 1,
  /** The command line is wrong (unknown flag, missing argument, bad key id), or a confirmation is missing. */
  USAGE: 2,
  /** The key id does not exist in the store. */
  NOT_FOUND: 3,
  /** Credentials refused (token, IAM, wrong master key) or stored data failed its integrity check. */
  DENIED: 4,
  /** The store cannot be reached or cannot serve now. */
  UNAVAILABLE: 5,
  /** Configuration: a missing or wrong setting, an adapter package not installed or incompatible. */
  CONFIG: 6,
  /** The store cannot do this: a write to the read-only environment store, a store that cannot list. */
  UNSUPPORTED: 7,
  /** Something exists that must not be overwritten: a key id, a master key, a differing key at a migration's destination. */
  CONFLICT: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_ERROR_CODE: Record<KeyStoreErrorCode, ExitCode> = {
  NOT_FOUND: EXIT.NOT_FOUND,
  ACCESS_DENIED: EXIT.DENIED,
  INTEGRITY: EXIT.DENIED,
  UNAVAILABLE: EXIT.UNAVAILABLE,
  INVALID_CONFIG: EXIT.CONFIG,
  ADAPTER_NOT_FOUND: EXIT.CONFIG,
  ADAPTER_INCOMPATIBLE: EXIT.CONFIG,
  UNSUPPORTED: EXIT.UNSUPPORTED,
  CONFLICT: EXIT.CONFLICT,
  INVALID_KEY_ID: EXIT.USAGE,
  INVALID_KEY: EXIT.FAILURE,
  AUDIT_UNAVAILABLE: EXIT.UNAVAILABLE,
};

/** The exit code for a KeyStoreError code; unknown codes (a newer core) are plain failures. */
export function exitCodeFor(code: string): ExitCode {
  return BY_ERROR_CODE[code as KeyStoreErrorCode] ?? EXIT.FAILURE;
}
