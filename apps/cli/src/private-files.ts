/**
 * Creating the files only the owner may read: the `.phlow/` directory (0700) and master key files (0600).
 * Modes are set with chmod after creation because the mode given to open() and mkdir() is filtered by the
 * umask. Files are created with O_EXCL (`wx`), so an existing master key is never overwritten, even by a race,
 * and O_EXCL also refuses a symbolic link planted at the path.
 *
 * Nothing here follows a symbolic link: a `.phlow` link to another directory would otherwise get that
 * directory chmod-ed and the master key written into it. The directory is opened with O_NOFOLLOW and changed
 * through that descriptor, so a link swapped in between the check and the chmod is refused too.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';
import { KeyStoreError } from '@phlow/keys-core';

/** True when anything is at `path`, a dangling symbolic link included (existsSync says false for those). */
export async function pathTaken(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    // ENOTDIR: a parent is a file, so nothing can be at the path (ensurePrivateDirectory says why).
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw error;
  }
}

export async function ensurePrivateDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700 });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'ELOOP' && code !== 'ENOTDIR') throw error;
    const what = (await lstat(path)).isSymbolicLink() ? 'a symbolic link' : 'not a directory';
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `${path} is ${what}: the master key only goes into a real directory that phlow-keys creates; remove it, or run init in another directory`,
      { storeType: 'encrypted_file' },
    );
  }
  try {
    await handle.chmod(0o700);
  } finally {
    await handle.close();
  }
}

/** Writes `text` to a new file, mode 0600. EEXIST if the file (or a link) exists. */
export async function writeNewPrivateFile(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
