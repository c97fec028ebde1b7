/**
 * The keys one master key yields for files, derived once and kept for the life of the store, so scrypt runs
 * once per process and salt rather than once per read.
 */
import { randomBytes } from 'node:crypto';
import { wrongKeyError } from './errors.js';
import { type FileKdf, SALT_LENGTH } from './format.js';
import { deriveScrypt, type FileKeys, fileKeys, type ScryptParams } from './kdf.js';
import type { MasterKey } from './master-key.js';

/** What a file is sealed with: its KDF, its salt, and the keys they give. */
export interface SealingKeys {
  readonly kdf: FileKdf;
  readonly salt: Uint8Array;
  readonly keys: FileKeys;
}

export interface KeyRing {
  readonly masterKey: MasterKey;
  /** Keys for an existing file. ACCESS_DENIED when the master key is of the other kind than the file's. */
  keysFor(kdf: FileKdf, salt: Uint8Array): Promise<FileKeys>;
  /** Keys for a file this store creates (new, migrated from Fernet, or rekeyed): fresh salt, configured cost. */
  fresh(): Promise<SealingKeys>;
}

/** A handful of salts at most: one per file generation that was rekeyed by another process meanwhile. */
const MAX_CACHED = 8;

export function createKeyRing(masterKey: MasterKey, scrypt: ScryptParams, path: string): KeyRing {
  const derived = new Map<string, Promise<FileKeys>>();
  let fresh: Promise<SealingKeys> | undefined;

  function keysFor(kdf: FileKdf, salt: Uint8Array): Promise<FileKeys> {
    if (kdf.kind === 'none' && masterKey.kind !== 'raw') {
      return Promise.reject(
        wrongKeyError(
          path,
          'the file was written with a raw base64:/hex: key, but the master key given is a passphrase',
        ),
      );
    }
    if (kdf.kind === 'scrypt' && masterKey.kind !== 'passphrase') {
      return Promise.reject(
        wrongKeyError(
          path,
          'the file was written with a passphrase, but the master key given is a raw base64:/hex: key',
        ),
      );
    }
    const id = `${JSON.stringify(kdf)}:${Buffer.from(salt).toString('hex')}`;
    let keys = derived.get(id);
    if (!keys) {
      keys = (
        masterKey.kind === 'raw'
          ? Promise.resolve(masterKey.key)
          : deriveScrypt(masterKey.passphrase, salt, kdf as ScryptParams)
      ).then((material) => fileKeys(material, salt));
      if (derived.size >= MAX_CACHED) derived.delete(derived.keys().next().value!);
      derived.set(id, keys);
      keys.catch(() => derived.delete(id));
    }
    return keys;
  }

  return {
    masterKey,
    keysFor,
    fresh() {
      fresh ??= (async () => {
        const kdf: FileKdf = masterKey.kind === 'raw' ? { kind: 'none' } : { kind: 'scrypt', ...scrypt };
        const salt = new Uint8Array(randomBytes(SALT_LENGTH));
        return { kdf, salt, keys: await keysFor(kdf, salt) };
      })();
      fresh.catch(() => {
        fresh = undefined;
      });
      return fresh;
    },
  };
}
