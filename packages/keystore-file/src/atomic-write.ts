/**
 * Crash-safe file replacement and private directories.
 *
 * A reader (or a process started after a crash) sees the old file or the new one, never a mix: the data goes
 * to a temporary file in the same directory, is fsynced, renamed over the target, and the directory is
 * fsynced so the rename itself survives a power cut. Modes are set with chmod after creation because the
 * mode given to open() is filtered by the umask, and a umask of 000 would leave the key file readable by all.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { hasErrno } from './errors.js';

export const FILE_MODE = 0o600;
export const DIRECTORY_MODE = 0o700;

/** Creates `dir` and its missing parents as 0700. Directories that already exist are left as they are. */
export async function ensureDirectory(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: DIRECTORY_MODE });
  if (first === undefined) return;
  // mkdir returns the first directory it created; every directory from there down to `dir` is ours.
  let current = first;
  await chmod(current, DIRECTORY_MODE);
  for (const part of relative(first, dir).split(sep).filter(Boolean)) {
    current = join(current, part);
    await chmod(current, DIRECTORY_MODE);
  }
}

/** Makes a completed rename durable. Some platforms cannot fsync a directory; there it is skipped. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!hasErrno(error, 'EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'ENOTSUP')) throw error;
  } finally {
    await handle?.close();
  }
}

const tempName = (path: string) => `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;

function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return hasErrno(error, 'ESRCH');
  }
}

/**
 * Removes temporary files that killed writers left beside `path` (and beside its backups): those whose pid
 * (part of the name) is no longer running. Called under the lock, once per store.
 */
export async function removeLeftoverTemps(path: string): Promise<void> {
  const base = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const leftover = new RegExp(`^${base}(?:\\.bak|\\.fernet\\.bak)?\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
  const dir = dirname(path);
  for (const name of await readdir(dir)) {
    const pid = leftover.exec(name)?.[1];
    if (pid && isDead(Number(pid))) await unlink(join(dir, name)).catch(() => {});
  }
}

/** Atomically replaces `path` with `data`, mode 0600. Leaves no temporary file behind unless the process dies. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const temp = tempName(path);
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', FILE_MODE);
    try {
      await handle.chmod(FILE_MODE);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    renamed = true;
    await syncDirectory(dirname(path));
  } finally {
    if (!renamed) await unlink(temp).catch(() => {});
  }
}
