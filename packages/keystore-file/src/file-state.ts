/**
 * What a key file holds once opened: its key map, and what is needed to write the next generation.
 *
 * Opening tells three situations apart before any payload byte is trusted: a damaged or edited file
 * (INTEGRITY), a master key that is not the file's (ACCESS_DENIED, via the key-check value), and a file from
 * the Python Phlow (a Fernet token, read-only until the first write migrates it).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { wrongKeyError } from './errors.js';
import { looksLikeFernet, openFernet } from './fernet.js';
import { NONCE_LENGTH, open, parseHeader, seal } from './format.js';
import type { KeyRing, SealingKeys } from './key-ring.js';
import { type KeyMap, parsePayload, serialisePayload } from './payload.js';

export type FileState =
  /** No file yet: an empty map. */
  | { readonly kind: 'none'; readonly map: KeyMap }
  /** Our format; the next write reuses its KDF and salt, so the derived key stays valid. */
  | ({ readonly kind: 'current'; readonly map: KeyMap; readonly bytes: Uint8Array } & SealingKeys)
  /** A Python Phlow Fernet token. */
  | { readonly kind: 'fernet'; readonly map: KeyMap; readonly bytes: Uint8Array };

export const EMPTY: FileState = { kind: 'none', map: new Map() };

export async function openFile(bytes: Uint8Array, ring: KeyRing, path: string): Promise<FileState> {
  if (looksLikeFernet(bytes)) {
    const { plaintext, writtenAt } = openFernet(bytes, ring.masterKey, path);
    return { kind: 'fernet', map: parsePayload(plaintext, path, writtenAt), bytes };
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
