/**
 * Reading key files written by the Python Phlow: the whole key map as one Fernet token.
 *
 * Token: version 0x80, 8-byte big-endian timestamp, 16-byte IV, AES-128-CBC ciphertext (PKCS7), 32-byte
 * HMAC-SHA256 over everything before it, all as url-safe base64 text. Fernet key: signing key = first 16
 * bytes, encryption key = last 16. The HMAC is compared in constant time before anything is decrypted.
 * Read-only: the store writes its own format and keeps the token as a backup (see store.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import { cbc } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { integrityError, wrongKeyError } from './errors.js';
import type { MasterKey } from './master-key.js';

const VERSION = 0x80;
const MIN_LENGTH = 1 + 8 + 16 + 16 + 32;
const TOKEN_TEXT = /^[A-Za-z0-9_-]+={0,2}$/;
const FERNET_KEY_TEXT = /^[A-Za-z0-9+/_-]{43}=$/;

/** Does the file look like a Fernet token? (0x80 and a timestamp below 2^40 always encode as "gAAAAA".) */
export function looksLikeFernet(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 6)).toString('latin1') === 'gAAAAA';
}

/**
 * The Fernet keys the Python Phlow could have used for this master key: the value itself when it is a
 * Fernet key (url-safe base64 of 32 bytes), otherwise base64url(SHA-256(passphrase)). A raw key given as
 * `base64:`/`hex:` or bytes is those 32 bytes. Every candidate is tried; a wrong one only fails its HMAC.
 */
function candidateKeys(masterKey: MasterKey): Uint8Array[] {
  if (masterKey.kind === 'raw') return [masterKey.key];
  const candidates: Uint8Array[] = [];
  // Python's lenient base64 decoder drops characters outside the alphabet before decoding.
  const cleaned = masterKey.passphrase.replace(/[^A-Za-z0-9+/=_-]/g, '');
  if (FERNET_KEY_TEXT.test(cleaned)) candidates.push(new Uint8Array(Buffer.from(cleaned, 'base64')));
  candidates.push(sha256(new TextEncoder().encode(masterKey.passphrase)));
  return candidates;
}

export interface FernetContents {
  readonly plaintext: Uint8Array;
  /** The token's timestamp: when the Python Phlow last wrote the file. */
  readonly writtenAt: Date;
}

/**
 * Verifies and decrypts a Fernet token file. A damaged token is INTEGRITY; an HMAC that matches under no
 * candidate key is ACCESS_DENIED, because Fernet cannot tell a wrong key from an edited token.
 */
export function openFernet(bytes: Uint8Array, masterKey: MasterKey, path: string): FernetContents {
  const text = Buffer.from(bytes).toString('latin1').trim();
  if (!TOKEN_TEXT.test(text) || text.length % 4 !== 0) {
    throw integrityError(path, 'the Python Phlow Fernet token is not valid base64');
  }
  const token = new Uint8Array(Buffer.from(text, 'base64url'));
  if (token.length < MIN_LENGTH || (token.length - 57) % 16 !== 0 || token[0] !== VERSION) {
    throw integrityError(path, 'the Python Phlow Fernet token is truncated or malformed');
  }
  const signed = token.subarray(0, token.length - 32);
  const mac = token.subarray(token.length - 32);
  for (const key of candidateKeys(masterKey)) {
    if (!timingSafeEqual(hmac(sha256, key.subarray(0, 16), signed), mac)) continue;
    const seconds = Buffer.from(token.subarray(1, 9)).readBigUInt64BE();
    let plaintext: Uint8Array;
    try {
      plaintext = cbc(key.subarray(16, 32), token.subarray(9, 25)).decrypt(
        token.subarray(25, token.length - 32),
      );
    } catch {
      throw integrityError(path, 'the Python Phlow Fernet token has bad padding');
    }
    return { plaintext, writtenAt: new Date(Number(seconds) * 1000) };
  }
  throw wrongKeyError(
    path,
    'a Python Phlow Fernet file; in this format a wrong key and a modified file look the same',
  );
}
