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
  throw new KeyStoreError(
    'INVALID_KEY_ID',
    `invalid key id (${describeBadId(keyId)}): use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit (for example "my-agent")`,
    { storeType },
  );
}

/**
 * Says what is wrong with an id without echoing it: a swapped argument can put a PEM where the id belongs,
 * and a message must never carry key material.
 */
function describeBadId(keyId: unknown): string {
  if (typeof keyId !== 'string') return `a ${keyId === null ? 'null' : typeof keyId}, not a string`;
  if (keyId.length === 0) return 'empty';
  if (keyId.length > 128) return `${keyId.length} characters long`;
  const at = keyId.search(/[^A-Za-z0-9._-]/);
  if (at === -1) return `starts with ${JSON.stringify(keyId[0])}`;
  const code = keyId.charCodeAt(at);
  const what =
    code < 0x20 || code === 0x7f
      ? 'a control character'
      : code === 0x2f || code === 0x5c
        ? 'a path separator'
        : code === 0x20
          ? 'a space'
          : `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `${what} at position ${at + 1} of ${keyId.length}`;
}

export function isValidKeyId(keyId: unknown): keyId is string {
  return typeof keyId === 'string' && KEY_ID_PATTERN.test(keyId);
}
