/**
 * The one rule for key ids, shared by every store, checked before any store is touched.
 *
 * An id becomes a file-map key, a Vault path segment (`keys/<id>`), an AWS secret name (`phlow/<id>`) and part
 * of an environment variable name (`PHLOW_PRIVATE_KEY_<id>`), so it must be safe in all four: letters, digits,
 * `.`, `_` and `-`, starting with a letter or digit, at most 128 characters. That rules out empty ids, path
 * separators, traversal (`..` cannot start an id and `/` is never allowed), whitespace and control characters.
 */
import { KeyStoreError } from './errors.js';

export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws INVALID_KEY_ID unless `keyId` follows the rule; returns it unchanged. */
export function assertValidKeyId(keyId: unknown, storeType?: string): string {
  if (typeof keyId === 'string' && KEY_ID_PATTERN.test(keyId)) return keyId;
  const shown = typeof keyId === 'string' ? JSON.stringify(keyId.slice(0, 64)) : typeof keyId;
  throw new KeyStoreError(
    'INVALID_KEY_ID',
    `invalid key id ${shown}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit (for example "my-agent")`,
    { storeType },
  );
}

export function isValidKeyId(keyId: unknown): keyId is string {
  return typeof keyId === 'string' && KEY_ID_PATTERN.test(keyId);
}
