/**
 * What a key file holds once opened: its key map, and what is needed to write the next generation.
 *
 * Opening tells three situations apart before any payload byte is trusted: a damaged or edited file
 * (INTEGRITY), a master key that is not the file's (ACCESS_DENIED, via the key-check value), and a file from
 * the Python Phlow (a Fernet token, read-only until the first write migrates it, unless the store writes the
 * Fernet format itself).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { configError, wrongKeyError } from './errors.js';
import { looksLikeFernet, openFernet, sealFernet } from './fernet.js';
import { hasMagic, NONCE_LENGTH, open, parseHeader, seal } from './format.js';
import type { KeyRing, SealingKeys } from './key-ring.js';
import type { MasterKey } from './master-key.js';
import type { FileFormat } from './options.js';
import { type KeyMap, parsePayload, serialisePayload } from './payload.js';

export type FileState =
  /** No file yet: an empty map. */
  | { readonly kind: 'none'; readonly map: KeyMap }
  /** Our format; the next write reuses its KDF and salt, so the derived key stays valid. */
  | ({ readonly kind: 'current'; readonly map: KeyMap; readonly bytes: Uint8Array } & SealingKeys)
  /** A Python Phlow Fernet token. */
  | { readonly kind: 'fernet'; readonly map: KeyMap; readonly bytes: Uint8Array };

export const EMPTY: FileState = { kind: 'none', map: new Map() };

/**
 * Opens a file of either layout. With `format: 'fernet'` a format-1 file is refused before any key is derived:
 * the next write would otherwise re-encrypt it under the weaker Fernet key derivation without anyone asking.
 */
export async function openFile(
  bytes: Uint8Array,
  ring: KeyRing,
  path: string,
  format: FileFormat,
): Promise<FileState> {
  if (looksLikeFernet(bytes)) {
    const { plaintext, writtenAt } = openFernet(bytes, ring.masterKey, path);
    return { kind: 'fernet', map: parsePayload(plaintext, path, writtenAt), bytes };
  }
  if (format === 'fernet' && hasMagic(bytes)) {
    throw configError(
      `${path} is in phlow key file format 1, but the store is set to write the Python Phlow's Fernet format (PHLOW_KEY_STORE_FILE_FORMAT=fernet / the format option); nothing was changed. The file is not downgraded: unset PHLOW_KEY_STORE_FILE_FORMAT to use it, or point the store at another file`,
    );
  }
  const header = parseHeader(bytes, path);
  const keys = await ring.keysFor(header.kdf, header.salt);
  if (!timingSafeEqual(keys.keyCheck, header.keyCheck)) throw wrongKeyError(path);
  const plaintext = open(bytes, header, keys.encryptionKey, path);
  return {
    kind: 'current',
    map: parsePayload(plaintext, path, new Date(0)),
    bytes,
    kdf: header.kdf,
    salt: header.salt,
    keys,
  };
}

/** Seals `map` as a new generation of the file, with a fresh nonce. */
export function sealFile(map: KeyMap, sealing: SealingKeys): FileState & { kind: 'current' } {
  const nonce = new Uint8Array(randomBytes(NONCE_LENGTH));
  const bytes = seal(
    { kdf: sealing.kdf, salt: sealing.salt, nonce, keyCheck: sealing.keys.keyCheck },
    sealing.keys.encryptionKey,
    serialisePayload(map),
  );
  return { kind: 'current', map, bytes, kdf: sealing.kdf, salt: sealing.salt, keys: sealing.keys };
}

/**
 * Seals `map` as one Fernet token, as the Python Phlow wrote the file. The payload keeps the version fields
 * next to `private_key`/`public_key`; the Python code looks up only those two and ignores the rest.
 */
export function sealFernetFile(map: KeyMap, masterKey: MasterKey): FileState & { kind: 'fernet' } {
  return { kind: 'fernet', map, bytes: sealFernet(serialisePayload(map), masterKey, new Date()) };
}
