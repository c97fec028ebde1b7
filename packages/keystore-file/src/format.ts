/**
 * The on-disk layout of a key file, format version 1, and sealing/opening its payload.
 *
 *   offset  size  field
 *        0     7  magic "PHLOWKS"
 *        7     1  format version (1)
 *        8     1  KDF id: 0 = none (raw 32-byte master key), 1 = scrypt
 *        9     3  scrypt log2(N), r, p (zero when the KDF is none)
 *       12    16  salt (random per file; changes on rekey)
 *       28    24  nonce (random on every write)
 *       52    16  key-check value (see kdf.ts)
 *       68     8  header checksum: first 8 bytes of SHA-256 over bytes 0..67
 *       76     …  payload: XChaCha20-Poly1305 ciphertext and 16-byte tag, with bytes 0..75 as associated data
 *
 * The AEAD authenticates everything. The unkeyed checksum only makes the diagnosis precise: a flipped bit in
 * the header (KDF parameters, salt, key check) is reported as a damaged file (INTEGRITY) instead of being
 * mistaken for a wrong master key, and is caught before the KDF runs with parameters nobody wrote.
 */
import { createHash } from 'node:crypto';
import { integrityError, storeError } from './errors.js';
import { type ScryptParams, scryptParamsProblem } from './kdf.js';
import { xchachaOpen, xchachaSeal } from './xchacha.js';

const MAGIC = new TextEncoder().encode('PHLOWKS');
export const FORMAT_VERSION = 1;
export const SALT_LENGTH = 16;
export const NONCE_LENGTH = 24;
const KEY_CHECK_LENGTH = 16;
const CHECKSUM_OFFSET = 68;
export const HEADER_LENGTH = 76;
const TAG_LENGTH = 16;

const KDF_NONE = 0;
const KDF_SCRYPT = 1;

/** How the file's key is derived from the master key: raw keys use it as is. */
export type FileKdf = { readonly kind: 'none' } | ({ readonly kind: 'scrypt' } & ScryptParams);

export interface FileHeader {
  readonly kdf: FileKdf;
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
  readonly keyCheck: Uint8Array;
}

/** Does the file start with our magic? (Otherwise it may be a Python Phlow Fernet token.) */
export function hasMagic(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

export function encodeHeader(header: FileHeader): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH);
  out.set(MAGIC, 0);
  out[7] = FORMAT_VERSION;
  if (header.kdf.kind === 'scrypt') {
    out[8] = KDF_SCRYPT;
    out[9] = header.kdf.logN;
    out[10] = header.kdf.r;
    out[11] = header.kdf.p;
  } else {
    out[8] = KDF_NONE;
  }
  out.set(header.salt, 12);
  out.set(header.nonce, 28);
  out.set(header.keyCheck, 52);
  out.set(sha256(out.subarray(0, CHECKSUM_OFFSET)).subarray(0, 8), CHECKSUM_OFFSET);
  return out;
}

/** SHA-256 by node:crypto (native; @noble/hashes cost every file-store process ~8 ms of start-up). */
function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** Parses and checks the header of a version-1 file. Throws INTEGRITY (or UNSUPPORTED for a newer format). */
export function parseHeader(bytes: Uint8Array, path: string): FileHeader {
  if (bytes.length < HEADER_LENGTH + TAG_LENGTH) throw integrityError(path, 'the file is truncated');
  if (!hasMagic(bytes)) throw integrityError(path, 'it is not a phlow key file');
  const expected = sha256(bytes.subarray(0, CHECKSUM_OFFSET)).subarray(0, 8);
  if (!expected.every((b, i) => bytes[CHECKSUM_OFFSET + i] === b)) {
    throw integrityError(path, 'the header checksum does not match');
  }
  if (bytes[7] !== FORMAT_VERSION) {
    throw storeError(
      'UNSUPPORTED',
      `${path} uses key file format ${bytes[7]}, which this version does not know; upgrade @phlow/keystore-file`,
    );
  }
  let kdf: FileKdf;
  if (bytes[8] === KDF_NONE && bytes[9] === 0 && bytes[10] === 0 && bytes[11] === 0) {
    kdf = { kind: 'none' };
  } else if (bytes[8] === KDF_SCRYPT) {
    kdf = { kind: 'scrypt', logN: bytes[9]!, r: bytes[10]!, p: bytes[11]! };
    const problem = scryptParamsProblem(kdf);
    if (problem) throw integrityError(path, `KDF parameters out of bounds: ${problem}`);
  } else {
    throw integrityError(path, 'unknown KDF in the header');
  }
  return {
    kdf,
    salt: bytes.slice(12, 28),
    nonce: bytes.slice(28, 52),
    keyCheck: bytes.slice(52, 52 + KEY_CHECK_LENGTH),
  };
}

/** Encrypts `plaintext` under `encryptionKey` into a whole file: header, then ciphertext and tag. */
export function seal(header: FileHeader, encryptionKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const head = encodeHeader(header);
  return xchachaSeal(encryptionKey, header.nonce, head, plaintext, head);
}

/** Decrypts a whole file whose header `parseHeader` accepted. Throws INTEGRITY if any byte was changed. */
export function open(
  bytes: Uint8Array,
  header: FileHeader,
  encryptionKey: Uint8Array,
  path: string,
): Uint8Array {
  try {
    return xchachaOpen(
      encryptionKey,
      header.nonce,
      bytes.subarray(0, HEADER_LENGTH),
      bytes.subarray(HEADER_LENGTH),
    );
  } catch {
    throw integrityError(path, 'the payload failed authentication');
  }
}
