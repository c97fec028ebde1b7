/**
 * Reading key files written by the Python Phlow: the whole key map as one Fernet token.
 *
 * Token: version 0x80, 8-byte big-endian timestamp, 16-byte IV, AES-128-CBC ciphertext (PKCS7), 32-byte
 * HMAC-SHA256 over everything before it, all as url-safe base64 text. Fernet key: signing key = first 16
 * bytes, encryption key = last 16. The HMAC is compared in constant time before anything is decrypted.
 * By default the store only reads this format (the first write migrates, see store.ts); with the `fernet`
 * format option it also writes it, exactly as Python's `Fernet(key).encrypt(...)` does, so Python agents
 * sharing the file can still read it.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

const hmacSha256 = (key: Uint8Array, data: Uint8Array): Uint8Array =>
  new Uint8Array(createHmac('sha256', key).update(data).digest());

import { integrityError, wrongKeyError } from './errors.js';
import type { MasterKey } from './master-key.js';
import { pythonFernetKey } from './python-base64.js';

const VERSION = 0x80;
const MIN_LENGTH = 1 + 8 + 16 + 16 + 32;
const TOKEN_TEXT = /^[A-Za-z0-9_-]+={0,2}$/;

/** Does the file look like a Fernet token? (0x80 and a timestamp below 2^40 always encode as "gAAAAA".) */
export function looksLikeFernet(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 6)).toString('latin1') === 'gAAAAA';
}

/**
 * The Fernet keys the Python Phlow could have used for this master key: the value itself when Python's
 * `Fernet()` accepts it (see python-base64.ts: a Fernet key, also with text after its `=` such as
 * `"<key> # note"`), otherwise base64url(SHA-256(passphrase)). A raw key given as
 * `base64:`/`hex:` or bytes is those 32 bytes. Every candidate is tried on reading; a wrong one only fails
 * its HMAC. The first is the one the Python Phlow would pick, and the one tokens are written with.
 */
function candidateKeys(masterKey: MasterKey): [Uint8Array, ...Uint8Array[]] {
  if (masterKey.kind === 'raw') return [masterKey.key];
  const hashed = new Uint8Array(createHash('sha256').update(masterKey.passphrase, 'utf8').digest());
  const asFernetKey = pythonFernetKey(masterKey.passphrase);
  return asFernetKey ? [asFernetKey, hashed] : [hashed];
}

/**
 * Encrypts `plaintext` into a Fernet token as Python's `Fernet(key).encrypt()` does: version 0x80, the
 * current time in whole seconds, a fresh random IV, AES-128-CBC with PKCS7 padding, HMAC-SHA256 over all of
 * that, url-safe base64 with padding. The key is the one the Python Phlow derives from the same master key.
 */
export function sealFernet(plaintext: Uint8Array, masterKey: MasterKey, now: Date): Uint8Array {
  const [key] = candidateKeys(masterKey);
  const iv = new Uint8Array(randomBytes(16));
  // AES-128-CBC with PKCS7 padding is node:crypto's (native; @noble/ciphers' AES cost every file-store process
  // ~10 ms of start-up for a format only Python-era files use).
  const cipher = createCipheriv('aes-128-cbc', key.subarray(16, 32), iv);
  const ciphertext = new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final()]));
  const signed = new Uint8Array(1 + 8 + iv.length + ciphertext.length);
  signed[0] = VERSION;
  new DataView(signed.buffer).setBigUint64(1, BigInt(Math.floor(now.getTime() / 1000)));
  signed.set(iv, 9);
  signed.set(ciphertext, 25);
  const token = new Uint8Array(signed.length + 32);
  token.set(signed);
  token.set(hmacSha256(key.subarray(0, 16), signed), signed.length);
  // Node's base64url drops the padding; Python's urlsafe_b64encode keeps it.
  const text = Buffer.from(token).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  return new Uint8Array(Buffer.from(text, 'latin1'));
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
    if (!timingSafeEqual(hmacSha256(key.subarray(0, 16), signed), mac)) continue;
    const seconds = Buffer.from(token.subarray(1, 9)).readBigUInt64BE();
    let plaintext: Uint8Array;
    try {
      const decipher = createDecipheriv('aes-128-cbc', key.subarray(16, 32), token.subarray(9, 25));
      plaintext = new Uint8Array(
        Buffer.concat([decipher.update(token.subarray(25, token.length - 32)), decipher.final()]),
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
