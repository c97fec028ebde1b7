/**
 * Crash-safe file replacement and private directories.
 *
 * A reader (or a process started after a crash) sees the old file or the new one, never a mix: the data goes
 * to a temporary file in the same directory, is fsynced, renamed over the target, and the directory is
 * fsynced so the rename itself survives a power cut. Modes are set with chmod after creation because the
 * mode given to open() is filtered by the umask, and a umask of 000 would leave the key file readable by all.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { hasErrno } from './errors.js';
import { hostName, namespaceId, processIsAlive } from './process-identity.js';

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
export async function syncDirectory(dir: string): Promise<void> {
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

/** Host and pid namespace of this process, as 8 hex digits in temp names (see process-identity.ts). */
const origin = () => createHash('sha256').update(`${hostName()}\0${namespaceId()}`).digest('hex').slice(0, 8);

const tempName = (path: string) => `${path}.${process.pid}.${origin()}.${randomBytes(4).toString('hex')}.tmp`;

/**
 * Removes temporary files that killed writers left beside `path` (and beside its backups). The name holds
 * the writer's pid and a hash of its host and pid namespace: a temp of a local writer goes when that pid no
 * longer runs; any other (another host or namespace, or the older name without the hash) only once it is
 * older than `staleMs`, the age at which its writer's lock would be taken over too. Called under the lock,
 * once per store.
 */
export async function removeLeftoverTemps(path: string, staleMs: number): Promise<void> {
  const base = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const leftover = new RegExp(
    `^${base}(?:\\.bak|\\.fernet\\.bak)?\\.(\\d+)\\.(?:([0-9a-f]{8})\\.)?[0-9a-f]{8}\\.tmp$`,
  );
  const dir = dirname(path);
  const here = origin();
  for (const name of await readdir(dir)) {
    const match = leftover.exec(name);
    if (!match) continue;
    const file = join(dir, name);
    let dead: boolean;
    if (match[2] === here) {
      dead = !processIsAlive(Number(match[1]));
    } else {
      const info = await stat(file).catch(() => null);
      dead = info !== null && Date.now() - info.mtimeMs > staleMs;
    }
    if (dead) await unlink(file).catch(() => {});
  }
}

/**
 * Atomically replaces `path` with `data`, mode 0600. Leaves no temporary file behind unless the process dies.
 * `beforeRename` runs once the temporary file is written and fsynced, right before the rename; if it throws,
 * nothing is renamed (so a write under a lock can check it still holds the lock after a slow fsync).
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array,
  beforeRename?: () => Promise<void>,
): Promise<void> {
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
    await beforeRename?.();
    await rename(temp, path);
    renamed = true;
    await syncDirectory(dirname(path));
  } finally {
    if (!renamed) await unlink(temp).catch(() => {});
  }
}
