/**
 * Rekeying a store whose master key lives in a file F (`.phlow/master.key`, PHLOW_MASTER_KEY_FILE), so that a
 * process killed at any point leaves a master key file that opens the key file.
 *
 * The key file and F are two files, and no rename replaces both at once, so the steps are ordered and each
 * crash point has a defined way back:
 *
 *   1. copy F to `F.old-<time>`            killed here or later: the old key is kept
 *   2. write the new key to `F.new`        killed before 3 commits: F still opens; `F.new` opens nothing
 *   3. re-encrypt the key file (atomic)    killed after 3 commits, before 4: only `F.new` opens the key file
 *   4. rename `F.new` over F               done
 *
 * After 3, every store reading F falls back to `F.new` by itself (with a warning, see store.ts), so nothing
 * stops working; the next rekey finishes step 4 first, or deletes an `F.new` that opens nothing. Rekeys of one
 * F run one at a time under `F.rekey.lock` (the key file's own lock is taken by each write inside step 3),
 * and names of `F.old-*` never collide, even for two rekeys in one second.
 */
import { constants } from 'node:fs';
import { copyFile, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FILE_MODE, syncDirectory } from './atomic-write.js';
import { fromFsError, hasErrno, wrongKeyError } from './errors.js';
import { acquireLock } from './lock.js';
import { stagedKeyPath } from './staged-key.js';
import type { FileKeyStore, RekeyOptions } from './store.js';

export { stagedKeyPath };

/** A file an interrupted rekey left beside the master key file. */
export interface RekeyLeftover {
  /** The staged new key, `<master key file>.new`. */
  readonly path: string;
  /**
   * True: the key file opens with it and no longer with the master key file (the rekey was killed between
   * re-encrypting and renaming); the store uses it until `phlow-keys rekey` finishes the move. False: it opens
   * nothing (killed before re-encrypting) and can be deleted.
   */
  readonly opensKeyFile: boolean;
}

/** What `rekeyWithMasterKeyFile` did. */
export interface MasterKeyFileRekey {
  /** The copy of the old master key (`<file>.old-<time>`), to delete once everything works. */
  readonly backup: string;
  /** An earlier, interrupted rekey was finished first (its `.new` renamed over the master key file). */
  readonly finishedInterrupted: boolean;
}

/** The leftover of an interrupted rekey beside `masterKeyFile`, if any (for `phlow-keys doctor`). */
export async function findRekeyLeftovers(
  store: FileKeyStore,
  masterKeyFile: string,
): Promise<RekeyLeftover[]> {
  const staged = stagedKeyPath(masterKeyFile);
  if (!(await exists(staged))) return [];
  const opensKeyFile =
    !(await store.opensWithKeyFile(masterKeyFile)) && (await store.opensWithKeyFile(staged));
  return [{ path: staged, opensKeyFile }];
}

/**
 * Finishes or discards what an interrupted rekey left beside `masterKeyFile`: an `F.new` that opens the key
 * file is renamed over F; one that opens nothing is deleted. True when a rekey was finished.
 */
export async function finishInterruptedRekey(store: FileKeyStore, masterKeyFile: string): Promise<boolean> {
  const lock = await acquireLock(`${masterKeyFile}.rekey.lock`, REKEY_LOCK);
  try {
    return await finishUnlocked(store, masterKeyFile);
  } finally {
    await lock.release();
  }
}

/**
 * Re-encrypts the store under `newMasterKey` and makes `masterKeyFile` hold it, in the order above. The store
 * must currently open with `masterKeyFile` (or with its `.new`, which is finished first).
 */
export async function rekeyWithMasterKeyFile(
  store: FileKeyStore,
  masterKeyFile: string,
  newMasterKey: string,
  options: RekeyOptions = {},
): Promise<MasterKeyFileRekey> {
  const lock = await acquireLock(`${masterKeyFile}.rekey.lock`, REKEY_LOCK);
  try {
    const finishedInterrupted = await finishUnlocked(store, masterKeyFile);
    const backup = await copyToNewName(masterKeyFile, `${masterKeyFile}.old-${stamp()}`);
    const staged = stagedKeyPath(masterKeyFile);
    await writeNewFile(staged, `${newMasterKey}\n`);
    try {
      await store.rekey(newMasterKey, options);
    } catch (error) {
      // Deleted only while the key file does not need it: an error after the atomic replace (a failed
      // directory fsync) must not take the only key that opens the file.
      if (!(await store.opensWithKeyFile(staged).catch(() => true))) await unlink(staged).catch(() => {});
      throw error;
    }
    await rename(staged, masterKeyFile);
    await syncDirectory(dirname(masterKeyFile));
    return { backup, finishedInterrupted };
  } catch (error) {
    throw fromFsError(error, 'rekey with', masterKeyFile);
  } finally {
    await lock.release();
  }
}

/** A rekey takes a few hundred ms at most (scrypt once); other rekeys of the same file wait for it. */
const REKEY_LOCK = { timeoutMs: 60_000, staleMs: 120_000 };

async function finishUnlocked(store: FileKeyStore, masterKeyFile: string): Promise<boolean> {
  const staged = stagedKeyPath(masterKeyFile);
  if (!(await exists(staged))) return false;
  if (await store.opensWithKeyFile(masterKeyFile)) {
    await unlink(staged);
    return false;
  }
  if (await store.opensWithKeyFile(staged)) {
    // Step 1 of the interrupted rekey already kept the old key as an .old-* copy.
    await rename(staged, masterKeyFile);
    await syncDirectory(dirname(masterKeyFile));
    return true;
  }
  throw wrongKeyError(
    store.path,
    `neither ${masterKeyFile} nor ${staged}, left by an interrupted rekey, opens it; nothing was changed. Restore the master key from the newest ${masterKeyFile}.old-* file`,
  );
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');

async function exists(path: string): Promise<boolean> {
  try {
    await open(path, constants.O_RDONLY | constants.O_NONBLOCK).then((handle) => handle.close());
    return true;
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

/** Copies `from` to `base`, or `base-2`, `base-3`, ... when taken; returns the name used. */
async function copyToNewName(from: string, base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const to = n === 1 ? base : `${base}-${n}`;
    try {
      await copyFile(from, to, constants.COPYFILE_EXCL);
      return to;
    } catch (error) {
      if (!hasErrno(error, 'EEXIST') || n >= 1000) throw error;
    }
  }
}

/** Writes `text` to a new file (never over an existing one), 0600, fsynced. */
async function writeNewFile(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', FILE_MODE);
  try {
    await handle.chmod(FILE_MODE);
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
