/**
 * The encrypted file key store: every key in one file, sealed with the master key.
 *
 * Reads need no lock: writes replace the file with a rename, so a reader sees one whole generation. Every
 * write is a read-modify-write under the in-process queue and the cross-process lock, and re-reads the file
 * under the lock, because another process may have written since. A file that does not open (wrong key,
 * damage) is never written over. The decrypted map is cached against the file's identity (generation.ts:
 * inode, size, mtime, ctime and the first 76 bytes, which hold the nonce that is fresh on every write): each
 * read costs an open, an fstat and a 76-byte read, whatever the size of the file, and sees another process's
 * write at once (metadata alone can repeat across two quick writes; a fresh nonce cannot).
 *
 * Writes produce format 1, or with `format: 'fernet'` the Python Phlow's Fernet token; the machinery around
 * them (queue, lock, re-read, atomic replace, backups, refusing a file that does not open) is the same.
 */
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  assertValidKeyId,
  type DeleteKeyPairOptions,
  isKeyStoreError,
  isValidKeyId,
  type KeyStore,
  storedKeyPair as redact,
  type StoredKeyPair,
  type StoredKeyVersion,
  type StoreKeyPairOptions,
} from '@phlow/keys-core';
import { ensureDirectory, removeLeftoverTemps, writeFileAtomic } from './atomic-write.js';
import { type ReadLimit, readRegularFile, tooLargeError } from './bounded-read.js';
import { configError, fromFsError, hasErrno, STORE_TYPE, storeError, wrongKeyError } from './errors.js';
import { EMPTY, type FileState, openFile, sealFernetFile, sealFile } from './file-state.js';
import {
  type FileIdentity,
  type GenerationRead,
  identityIfHolds,
  isUnchanged,
  readGeneration,
} from './generation.js';
import { type ScryptParams, scryptParamsProblem } from './kdf.js';
import { createKeyRing, type KeyRing } from './key-ring.js';
import { loadMasterKey } from './key-source.js';
import { writeTarget } from './link-target.js';
import { acquireLock, type FileLock, removeStaleBreakLock } from './lock.js';
import { parseMasterKey } from './master-key.js';
import { createModeWarner } from './mode-warning.js';
import { type FileKeyStoreOptions, resolveOptions } from './options.js';
import { checkExpectedVersion, entryVersions, type KeyMap, withDeleted, withStored } from './payload.js';
import { createQueue } from './queue.js';
import { stagedKeyPath } from './staged-key.js';

export interface RekeyOptions {
  /** scrypt cost when the new master key is a passphrase. Default: the store's `scrypt` option. */
  readonly scrypt?: Partial<ScryptParams>;
}

/** A KeyStore with every capability, plus what the CLI needs: the file's path and `rekey`. */
export interface FileKeyStore extends KeyStore {
  /** Absolute path of the key file. */
  readonly path: string;
  getKeyPair(keyId: string): Promise<StoredKeyPair | null>;
  listKeyIds(): Promise<string[]>;
  getKeyVersions(keyId: string): Promise<StoredKeyVersion[]>;
  /**
   * Re-encrypts the file under `newMasterKey` (same forms as `masterKey`) in one atomic replace: a crash at
   * any point leaves a file that opens with the old key or with the new one. This store uses the new key
   * afterwards; update PHLOW_MASTER_KEY / the master key file before the next start. In `fernet` format the
   * token is re-encrypted under the new key's Fernet key (the Python agents need the new key too).
   */
  rekey(newMasterKey: string | Uint8Array, options?: RekeyOptions): Promise<void>;
  /**
   * The names of entries the key-id rule refuses, sorted (Python Phlow files may hold ids such as
   * `agent@example.com` or `org/agent`). They are left out of `listKeyIds()` and cannot be read by id, but
   * every write keeps them exactly as they are, so Python agents still find them. To use one here, store its
   * pair again under a valid id. `phlow-keys doctor` reports them.
   */
  listInvalidKeyIds(): Promise<string[]>;
  /**
   * Whether the master key in `masterKeyFile` opens the key file (true when there is no key file yet);
   * a wrong key is false, anything else (damage, no such master key file) throws. For rekey and doctor.
   */
  opensWithKeyFile(masterKeyFile: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Bound on each PEM a caller stores: several times an RSA-4096 private key, far below any file limit. */
export const MAX_PEM_BYTES = 16 * 1024;

/** `options.activatesAt`, checked: a Date that is not a valid time is refused before anything is written. */
function activationOf(value: unknown, keyId: string): Date | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  throw storeError('INVALID_CONFIG', 'activatesAt must be a valid Date (or left out)', undefined, keyId);
}

/** A generation this store writes: format 1, or a Fernet token in `fernet` mode. */
type WrittenState = FileState & { kind: 'current' | 'fernet' };

const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

/** A generation opened or written, and the identity of the file that holds it (unknown: compare bytes). */
interface Cached {
  readonly state: FileState & { kind: 'current' | 'fernet' };
  identity: FileIdentity | undefined;
}

export function createFileKeyStore(options: FileKeyStoreOptions = {}): FileKeyStore {
  const config = resolveOptions(options);
  const { path } = config;
  const warnMode = createModeWarner(config.onWarning);
  const queue = createQueue();
  /** Whole reads and decryptions of the file, one at a time (see readState). */
  const opening = createQueue();
  let ring: Promise<KeyRing> | undefined;
  /** The last generation opened or written; reused while the file keeps its identity (generation.ts). */
  let cache: Cached | undefined;
  let tidied = false;

  function keyRing(): Promise<KeyRing> {
    if (ring) return ring;
    const loading = loadMasterKey(config.masterKey, warnMode).then((key) =>
      createKeyRing(key, config.scrypt, path),
    );
    ring = loading;
    // A master key file that is missing now may exist on the next call.
    loading.catch(() => {
      if (ring === loading) ring = undefined;
    });
    return loading;
  }

  /** The key file and its backups are read and written within this size. */
  const fileLimit = (what: string): ReadLimit => ({
    maxBytes: config.maxFileBytes,
    what,
    setting: 'maxFileBytes (PHLOW_KEY_STORE_FILE_MAX_BYTES)',
  });

  /**
   * Reads `file`: the configured path, or under the lock the link target that writes go to. While the file
   * keeps the identity of the cached generation this is a 76-byte read, and reads run side by side.
   * Otherwise the whole read and decryption run one at a time: a burst of reads of a cold store at 50,000
   * keys (a JWK Set over many ids) decrypts the file once, not once per read. Each waiting read checks the
   * identity again after its turn comes, so it still sees any write completed before it started.
   */
  async function readState(file = path): Promise<FileState> {
    const known = cache;
    if (known?.identity) {
      try {
        const limit = fileLimit('the key file');
        if (await isUnchanged(file, limit, known.identity, (mode) => warnMode(file, mode)))
          return known.state;
      } catch (error) {
        if (hasErrno(error, 'ENOENT')) return EMPTY;
        throw fromFsError(error, 'read', file);
      }
    }
    return opening(() => openState(file));
  }

  /** The whole read and decryption behind readState, one at a time (`opening`). */
  async function openState(file: string): Promise<FileState> {
    const keys = await keyRing();
    const known = cache;
    let read: GenerationRead;
    try {
      read = await readGeneration(file, fileLimit('the key file'), known?.identity, (mode) =>
        warnMode(file, mode),
      );
    } catch (error) {
      if (hasErrno(error, 'ENOENT')) return EMPTY;
      throw fromFsError(error, 'read', file);
    }
    if (read.unchanged) return known!.state;
    // A generation this store wrote whose identity could not be taken: one whole comparison, then by identity.
    if (known && known.identity === undefined && sameBytes(known.state.bytes, read.bytes)) {
      known.identity = read.identity;
      return known.state;
    }
    let state: FileState;
    try {
      state = await openFile(read.bytes, keys, path, config.format);
    } catch (error) {
      state = await openWithStagedKey(read.bytes, error);
    }
    if (state.kind !== 'none') cache = { state, identity: read.identity };
    return state;
  }

  let warnedStaged = false;

  /**
   * When the master key from file F (read once, at first use) no longer opens the key file, F is read again:
   * another process may have rekeyed the file and replaced F since. Failing that, a rekey may have been killed
   * after re-encrypting the file and before renaming `F.new` over F (see rekey-files.ts): then `F.new` opens
   * it, and is used from then on, with a warning, so that every command keeps working until the next rekey
   * finishes the move. Otherwise `error` (the failure with the first key) is rethrown, naming a leftover
   * `F.new` when there is one.
   */
  async function openWithStagedKey(bytes: Uint8Array, error: unknown): Promise<FileState> {
    const source = config.masterKey;
    if (source.kind !== 'file' || !isKeyStoreError(error, 'ACCESS_DENIED')) throw error;
    const staged = stagedKeyPath(source.path);
    const attempt = async (keyFile: string) => {
      try {
        const candidate = createKeyRing(
          await loadMasterKey({ kind: 'file', path: keyFile }, warnMode),
          config.scrypt,
          path,
        );
        const state = await openFile(bytes, candidate, path, config.format);
        ring = Promise.resolve(candidate);
        return state;
      } catch {
        return null;
      }
    };
    const reread = await attempt(source.path);
    if (reread) return reread;
    if (!existsSync(staged)) throw error;
    const state = await attempt(staged);
    if (!state) {
      throw wrongKeyError(
        path,
        `nor does ${staged}, left by an interrupted rekey; restore the master key from the newest ${source.path}.old-* file`,
      );
    }
    if (!warnedStaged) {
      warnedStaged = true;
      config.onWarning(
        `[phlow] [encrypted_file] ${path} opens only with ${staged}, the new master key of a rekey that was interrupted before it replaced ${source.path}; using it. Run \`phlow-keys rekey\` to finish (or rename ${staged} to ${source.path})`,
      );
    }
    return state;
  }

  /**
   * Writes `next` over `previous` under `lock`, keeping the backups the options and a migration ask for.
   * `destroyId`: a destroyed id, also removed from an existing `<file>.bak` (even with `backup` now off).
   * `rekeyRing`: in a rekey, `<file>.bak` is re-encrypted under the new key, never left opening with the old one.
   */
  async function commit(
    file: string,
    previous: FileState,
    next: WrittenState,
    lock: FileLock,
    options: { destroyId?: string; rekeyRing?: KeyRing },
  ) {
    const { destroyId, rekeyRing } = options;
    const backupPath = `${file}.bak`;
    // Every replace is checked against the lock twice: before writing (which also refreshes the lock's
    // mtime, so a process that cannot check our pid does not judge it stale) and again after the temporary
    // file is fsynced, right before the rename, so a stalled fsync cannot land a rename after another
    // process took the lock over.
    const write = async (target: string, bytes: Uint8Array) => {
      // Never write a generation that the next read would refuse as too large.
      if (bytes.length > config.maxFileBytes) throw tooLargeError(target, fileLimit('the new key file'));
      await lock.confirm();
      await writeFileAtomic(target, bytes, () => lock.confirm());
    };
    /** `map` sealed like `next` (same keys, fresh nonce or IV). */
    const sealedLikeNext = async (map: KeyMap) =>
      next.kind === 'current'
        ? sealFile(map, next).bytes
        : sealFernetFile(map, (rekeyRing ?? (await keyRing())).masterKey).bytes;
    try {
      const migrating = previous.kind === 'fernet' && next.kind === 'current';
      if (migrating) await write(`${file}.fernet.bak`, previous.bytes);
      if (rekeyRing) {
        // Before the file itself: a crash in between leaves no backup that the old key still opens.
        if (previous.kind !== 'none' && config.backup) {
          await write(backupPath, await sealedLikeNext(previous.map));
        } else {
          await rewriteBackup(file, lock, (map) => sealedLikeNext(map));
        }
      } else if (!migrating && previous.kind !== 'none' && config.backup && destroyId === undefined) {
        await write(backupPath, previous.bytes);
      }
      await write(file, next.bytes);
      // A destroyed key must not survive in the backup either.
      if (destroyId !== undefined) {
        if (config.backup) await write(backupPath, next.bytes);
        else {
          await removeFromBackup(file, lock, destroyId);
        }
      }
    } catch (error) {
      throw fromFsError(error, 'write', file);
    }
    // Still under the lock: the file holds `next` unless a writer that takes no lock (a Python agent) replaced it.
    const identity = await identityIfHolds(file, fileLimit('the key file'), next.bytes).catch(
      () => undefined,
    );
    cache = { state: next, identity };
  }

  /**
   * Rewrites an existing `<file>.bak` that opens with this store's key as `reseal` says (null: leave it);
   * one that does not open (an older key, damage) is deleted, since it cannot be cleaned.
   */
  async function rewriteBackup(
    file: string,
    lock: FileLock,
    reseal: (map: KeyMap, state: FileState) => Promise<Uint8Array | null>,
  ): Promise<void> {
    const backupPath = `${file}.bak`;
    let bytes: Uint8Array;
    try {
      bytes = await readRegularFile(backupPath, fileLimit('the backup file'));
    } catch (error) {
      if (hasErrno(error, 'ENOENT')) return;
      throw error;
    }
    let state: FileState | undefined;
    try {
      // 'phlow': only to open either layout; the backup's own layout is kept.
      state = await openFile(bytes, await keyRing(), backupPath, 'phlow');
    } catch {}
    await lock.confirm();
    if (!state) {
      await unlink(backupPath).catch((error: unknown) => {
        if (!hasErrno(error, 'ENOENT')) throw error;
      });
      return;
    }
    const rewritten = await reseal(state.map, state);
    if (rewritten) await writeFileAtomic(backupPath, rewritten, () => lock.confirm());
  }

  /** Removes `keyId` from an existing `<file>.bak` (see rewriteBackup). */
  function removeFromBackup(file: string, lock: FileLock, keyId: string): Promise<void> {
    return rewriteBackup(file, lock, async (map, state) => {
      const without = withDeleted(map, keyId);
      if (!without) return null;
      return state.kind === 'current'
        ? sealFile(without, state).bytes
        : sealFernetFile(without, (await keyRing()).masterKey).bytes;
    });
  }

  /**
   * The next generation of the file. Format 1 reuses the file's own KDF and salt unless `newRing` (rekey)
   * asks for fresh ones, or the file is new or a Fernet token being migrated. A Fernet token has no salt:
   * it is sealed with the Fernet key of the ring's master key.
   */
  async function seal(map: KeyMap, state: FileState, newRing: KeyRing | undefined): Promise<WrittenState> {
    const sealer = newRing ?? (await keyRing());
    if (config.format === 'fernet') return sealFernetFile(map, sealer.masterKey);
    return sealFile(map, newRing || state.kind !== 'current' ? await sealer.fresh() : state);
  }

  /**
   * One locked read-modify-write. `change` returns the new map, or null when there is nothing to write.
   * `sealWith` is the key ring of a rekey (default: this store's); `committed` runs inside the queue once
   * the new generation is on disk. `writes` tells from the map read before locking whether there will be
   * something to write (default: `change` returns a map), and may throw what `change` would: a store
   * passes a check of its own, because `change` copies the whole map (milliseconds at 50,000 keys).
   */
  function mutate(
    change: (map: KeyMap) => KeyMap | null,
    options: {
      destroyId?: string;
      sealWith?: KeyRing;
      committed?: () => void;
      writes?: (map: KeyMap) => boolean;
    } = {},
  ): Promise<void> {
    const { destroyId, sealWith, committed } = options;
    const writes = options.writes ?? ((map: KeyMap) => change(map) !== null);
    return queue(async () => {
      // Open the file and derive keys before locking, so the KDF never runs while other processes wait.
      const before = await readState();
      let file: string;
      try {
        file = await writeTarget(path);
      } catch (error) {
        throw fromFsError(error, 'resolve', path);
      }
      // A destroy of an id the file no longer has still cleans a backup that may hold it.
      const cleanBackupOnly = destroyId !== undefined && existsSync(`${file}.bak`);
      if (!writes(before.map) && !cleanBackupOnly) return;
      if (config.format === 'phlow' && (sealWith || before.kind !== 'current')) {
        await (sealWith ?? (await keyRing())).fresh();
      }
      try {
        await ensureDirectory(dirname(file));
      } catch (error) {
        throw fromFsError(error, 'create the directory of', file);
      }
      const lock = await acquireLock(`${file}.lock`, {
        timeoutMs: config.lockTimeoutMs,
        staleMs: config.staleLockMs,
      });
      try {
        if (!tidied) {
          tidied = true;
          await removeLeftoverTemps(file, config.staleLockMs).catch(() => {});
          await removeStaleBreakLock(`${file}.lock`).catch(() => {});
        }
        const state = await readState(file);
        const map = change(state.map);
        if (map === null) {
          if (destroyId !== undefined) {
            try {
              await removeFromBackup(file, lock, destroyId);
            } catch (error) {
              throw fromFsError(error, 'write', `${file}.bak`);
            }
          }
          return;
        }
        await commit(file, state, await seal(map, state, sealWith), lock, { destroyId, rekeyRing: sealWith });
        committed?.();
      } finally {
        await lock.release();
      }
    });
  }

  async function current(keyId: string) {
    assertValidKeyId(keyId, STORE_TYPE);
    return (await readState()).map.get(keyId) ?? null;
  }

  return {
    type: STORE_TYPE,
    // activation: each version's activatesAt is a field of its entry, in format 1 and in Fernet mode alike
    // (the Python Phlow reads only private_key/public_key and ignores other fields: test/activation.test.ts).
    capabilities: { write: true, readPair: true, list: true, versions: true, activation: true },
    path,

    async getPrivateKey(keyId) {
      return (await current(keyId))?.private_key ?? null;
    },
    async getPublicKey(keyId) {
      return (await current(keyId))?.public_key ?? null;
    },
    async getKeyPair(keyId) {
      const entry = await current(keyId);
      if (!entry) return null;
      const { current: _current, ...pair } = entryVersions(entry)[0]!;
      return redact(pair);
    },
    async getKeyVersions(keyId) {
      const entry = await current(keyId);
      return entry ? entryVersions(entry).map((v) => redact(v)) : [];
    },
    async listKeyIds() {
      // Entries whose names break the key-id rule stay in the file untouched (see listInvalidKeyIds).
      return [...(await readState()).map.keys()].filter((id) => isValidKeyId(id)).sort();
    },
    async opensWithKeyFile(masterKeyFile) {
      const candidate = createKeyRing(
        await loadMasterKey({ kind: 'file', path: masterKeyFile }, warnMode),
        config.scrypt,
        path,
      );
      let bytes: Uint8Array;
      try {
        bytes = await readRegularFile(path, fileLimit('the key file'));
      } catch (error) {
        if (hasErrno(error, 'ENOENT')) return true;
        throw fromFsError(error, 'read', path);
      }
      try {
        await openFile(bytes, candidate, path, config.format);
        return true;
      } catch (error) {
        if (isKeyStoreError(error, 'ACCESS_DENIED')) return false;
        throw error;
      }
    },
    async listInvalidKeyIds() {
      return [...(await readState()).map.keys()].filter((id) => !isValidKeyId(id)).sort();
    },
    async storeKeyPair(keyId, privateKey, publicKey, opts: StoreKeyPairOptions = {}) {
      assertValidKeyId(keyId, STORE_TYPE);
      if (typeof privateKey !== 'string' || typeof publicKey !== 'string' || !privateKey || !publicKey) {
        throw storeError(
          'INVALID_KEY',
          'privateKey and publicKey must be non-empty PEM strings',
          undefined,
          keyId,
        );
      }
      if (Buffer.byteLength(privateKey) > MAX_PEM_BYTES || Buffer.byteLength(publicKey) > MAX_PEM_BYTES) {
        throw storeError(
          'INVALID_KEY',
          `a PEM of key "${keyId}" is larger than ${MAX_PEM_BYTES} bytes (an RSA-4096 private key is about 3,300); nothing was stored`,
          undefined,
          keyId,
        );
      }
      const activatesAt = activationOf(opts.activatesAt, keyId);
      await mutate(
        (map) =>
          withStored(
            map,
            keyId,
            privateKey,
            publicKey,
            opts.expectedVersion,
            config.versions,
            new Date(config.now()),
            activatesAt,
          ),
        {
          // A store always writes; a stale expectedVersion fails before the lock is taken.
          writes: (map) => {
            checkExpectedVersion(map, keyId, opts.expectedVersion);
            return true;
          },
        },
      );
    },
    async deleteKeyPair(keyId, opts: DeleteKeyPairOptions = {}) {
      assertValidKeyId(keyId, STORE_TYPE);
      await mutate((map) => withDeleted(map, keyId), opts.destroy === true ? { destroyId: keyId } : {});
    },
    async rekey(newMasterKey, rekeyOptions = {}) {
      const key = parseMasterKey(newMasterKey, 'the new master key');
      const scrypt = { ...config.scrypt, ...rekeyOptions.scrypt };
      const problem = scryptParamsProblem(scrypt);
      if (problem) throw configError(`the scrypt option of rekey is out of bounds: ${problem}`);
      const newRing = createKeyRing(key, scrypt, path);
      // The map is rewritten unchanged; only the keys it is sealed with change.
      await mutate((map) => map, {
        sealWith: newRing,
        committed: () => {
          ring = Promise.resolve(newRing);
        },
      });
    },
    async close() {
      await queue(async () => {});
      cache = undefined;
    },
  };
}
