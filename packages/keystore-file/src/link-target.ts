/**
 * Where writes go when the key file path is (or passes through) a symbolic link: to the link's final target,
 * as write-file-atomic does. The link stays a link, so every process that reaches the same file through any
 * path (the link, the target, another link) replaces that one file, and takes its lock, its temporary files
 * and its `.bak` beside it: the lock is `<target>.lock`, never `<link>.lock`, so two processes entering
 * through different names still exclude each other. Renaming a temporary file over the link itself would
 * instead turn the link into a private regular file, and the processes sharing the target would diverge
 * without a word.
 *
 * Resolved again before every write, because a link can be re-pointed while the store runs. A link to a file
 * that does not exist yet (`ln -s /srv/shared/keys.enc .phlow/keys.enc` before the first key) creates that
 * file; a link into a directory that does not exist is refused rather than creating directories at a place
 * only the link names.
 */
import { lstat, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { configError, hasErrno } from './errors.js';

/** The real path writes to `path` go to: its target when it is a link, with every directory link resolved. */
export async function writeTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if (!hasErrno(error, 'ENOENT')) throw error;
  }
  // No file yet: follow a dangling link to the name it gives (as the kernel would, up to its 40 hops).
  let file = path;
  for (let hops = 0; ; hops++) {
    const info = await lstat(file).catch(() => null);
    if (!info?.isSymbolicLink()) break;
    if (hops === 40) throw configError(`${path} is a loop of symbolic links; point it at a key file`);
    file = resolve(dirname(file), await readlink(file));
  }
  // The directory may itself be reached through links; when it does not exist, it is created (our own
  // path) or refused (a path only a link names).
  try {
    return join(await realpath(dirname(file)), basename(file));
  } catch (error) {
    if (!hasErrno(error, 'ENOENT')) throw error;
    if (file === path) return path;
    throw configError(
      `${path} is a symbolic link to ${file}, whose directory does not exist; create that directory or point the link elsewhere`,
    );
  }
}
