/**
 * Every KeyStoreError this store raises, and the one place where Node's file-system errors become them.
 *
 * Messages name the file and say what to do next. Causes are only ever file-system errors (they hold a path
 * and an errno, never file contents); parse and decryption failures get no cause at all, because a parser's
 * message can echo the text it choked on.
 */
import { KeyStoreError, type KeyStoreErrorCode } from '@phlow/keys-core';

export const STORE_TYPE = 'encrypted_file';

export function storeError(code: KeyStoreErrorCode, message: string, cause?: unknown, keyId?: string) {
  return new KeyStoreError(code, message, { storeType: STORE_TYPE, keyId, cause });
}

/** The file is damaged or was edited: never decrypted into garbage, never overwritten. */
export function integrityError(path: string, detail: string): KeyStoreError {
  return storeError(
    'INTEGRITY',
    `${path} is corrupt or was modified (${detail}); nothing was changed. Restore it from a backup (${path}.bak if the backup option is on)`,
  );
}

/** The master key is not the one the file was written with. */
export function wrongKeyError(path: string, detail?: string): KeyStoreError {
  return storeError(
    'ACCESS_DENIED',
    `the master key does not open ${path}${detail ? ` (${detail})` : ''}; check PHLOW_MASTER_KEY / PHLOW_MASTER_KEY_FILE`,
  );
}

export function configError(message: string, cause?: unknown): KeyStoreError {
  return storeError('INVALID_CONFIG', message, cause);
}

/** Is `error` a Node system error with this errno code? */
export function hasErrno(error: unknown, ...codes: string[]): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    codes.includes((error as { code?: unknown }).code as string)
  );
}

/**
 * Maps a Node file-system error raised while doing `action` ("read", "write", "lock", ...) on `path`.
 * KeyStoreErrors pass through unchanged.
 */
export function fromFsError(error: unknown, action: string, path: string): KeyStoreError {
  if (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'KeyStoreError') {
    return error as KeyStoreError;
  }
  const code = (error as { code?: unknown })?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return storeError(
        'ACCESS_DENIED',
        `cannot ${action} ${path}: permission denied; check the owner and mode of the file and its directory`,
        error,
      );
    case 'ENOTDIR':
    case 'EISDIR':
    case 'ENAMETOOLONG':
    case 'ELOOP':
      return configError(
        `cannot ${action} ${path}: the path is not a usable file path (${code}); check PHLOW_KEY_STORE_FILE`,
        error,
      );
    case 'EROFS':
      return storeError('UNAVAILABLE', `cannot ${action} ${path}: the file system is read-only`, error);
    case 'ENOSPC':
    case 'EDQUOT':
      return storeError(
        'UNAVAILABLE',
        `cannot ${action} ${path}: no space left; free some disk space and retry`,
        error,
      );
    default:
      return storeError(
        'UNAVAILABLE',
        `cannot ${action} ${path} (${typeof code === 'string' ? code : 'unexpected error'}); retry, and check the disk`,
        error,
      );
  }
}
