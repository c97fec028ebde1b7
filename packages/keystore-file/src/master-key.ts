/**
 * The textual forms of a master key, and the one rule that tells a raw key from a passphrase.
 *
 * Rule: a value that starts with `base64:` or `hex:` (after surrounding whitespace is removed) is a raw
 * 32-byte key and must decode to exactly 32 bytes, or it is an error; anything else is a passphrase, used
 * byte for byte (UTF-8) and stretched with scrypt. A prefix instead of a length rule, because a passphrase
 * may happen to be 64 hex digits, and a typo in a raw key must fail loudly rather than silently become a
 * passphrase that opens nothing.
 */
import { randomBytes } from 'node:crypto';
import { configError } from './errors.js';

export const RAW_KEY_BYTES = 32;

export type MasterKey =
  | { readonly kind: 'raw'; readonly key: Uint8Array }
  | { readonly kind: 'passphrase'; readonly passphrase: string };

const BASE64_32 = /^[A-Za-z0-9+/_-]{43}=?$/;
const HEX_32 = /^[0-9a-fA-F]{64}$/;

/** A new random raw key in the form `base64:<44 characters>`, as `phlow-keys init` writes to `.phlow/master.key`. */
export function generateMasterKey(): string {
  return `base64:${randomBytes(RAW_KEY_BYTES).toString('base64')}`;
}

/**
 * Parses a master key given as text (see the rule above) or as 32 raw bytes. `source` names where it came
 * from (`PHLOW_MASTER_KEY`, ...) for error messages, which never show the value.
 */
export function parseMasterKey(value: string | Uint8Array, source: string): MasterKey {
  if (value instanceof Uint8Array) {
    if (value.length !== RAW_KEY_BYTES) {
      throw configError(
        `${source} must be exactly ${RAW_KEY_BYTES} bytes when given as bytes (got ${value.length})`,
      );
    }
    return { kind: 'raw', key: Uint8Array.from(value) };
  }
  const trimmed = value.trim();
  if (trimmed.startsWith('base64:')) {
    const body = trimmed.slice('base64:'.length);
    if (!BASE64_32.test(body)) {
      throw configError(
        `${source} starts with "base64:" but the rest is not a base64 encoding of ${RAW_KEY_BYTES} bytes (44 characters, standard or url-safe); generate one with generateMasterKey() or \`phlow-keys init\``,
      );
    }
    return { kind: 'raw', key: new Uint8Array(Buffer.from(body, 'base64')) };
  }
  if (trimmed.startsWith('hex:')) {
    const body = trimmed.slice('hex:'.length);
    if (!HEX_32.test(body)) {
      throw configError(
        `${source} starts with "hex:" but the rest is not ${RAW_KEY_BYTES * 2} hex digits; generate one with generateMasterKey() or \`phlow-keys init\``,
      );
    }
    return { kind: 'raw', key: new Uint8Array(Buffer.from(body, 'hex')) };
  }
  if (value.length === 0) {
    throw configError(`${source} is empty; set a passphrase or a key from generateMasterKey()`);
  }
  return { kind: 'passphrase', passphrase: value };
}
