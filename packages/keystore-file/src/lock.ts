/**
 * A cross-process lock beside the key file (`keys.enc.lock`), held around every read-modify-write.
 *
 * The lock file is created with O_EXCL and holds the holder's pid, host, pid namespace identity, the time it
 * was taken, a random token, and where procfs has them the boot id and the holder's process start time. A
 * holder with our host and namespace is "local": its pid can be checked, and its lock is stale exactly when
 * that process is dead, which includes a pid now used by another process (another boot id, or another start
 * time for that pid); it is never taken over by age, however long it holds it. Any
 * other holder (another host, or a container that shares our host name but not our pid namespace) cannot be
 * checked: its lock is stale when it is older than `staleMs`, judged by the newer of the time written in it
 * and the lock file's mtime, which the holder refreshes (`confirm`) before each write. Breaking a stale lock happens under
 * a second, short-lived lock (`.lock.break`) and only if the lock still holds the token that was judged
 * stale, so two waiters that both saw the same stale lock cannot delete each other's fresh one. Waiting is
 * bounded: past `timeoutMs` the caller gets UNAVAILABLE.
 */
import { randomBytes } from 'node:crypto';
import { open, stat, unlink, utimes } from 'node:fs/promises';
import { FILE_MODE } from './atomic-write.js';
import { readRegularFile } from './bounded-read.js';
import { fromFsError, hasErrno, storeError } from './errors.js';
import {
  bootId,
  hostName,
  isLocal,
  namespaceId,
  processIsAlive,
  processStartTime,
} from './process-identity.js';

export interface LockOptions {
  /** How long to wait for a live holder before giving up with UNAVAILABLE. */
  readonly timeoutMs: number;
  /**
   * Age after which the lock of a holder that cannot be checked (another host or pid namespace) is taken
   * over. Must exceed the longest write. A live local holder is never taken over by age.
   */
  readonly staleMs: number;
}

export interface FileLock {
  /** True while the lock file is still ours (it could have been broken as stale by another process). */
  stillHeld(): Promise<boolean>;
  /**
   * Throws UNAVAILABLE unless the lock is still ours, and refreshes its mtime so that a process that cannot
   * check our pid does not judge it stale. Called before each write and right before each rename.
   */
  confirm(): Promise<void>;
  release(): Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly host: string;
  /** Pid namespace identity (see process-identity.ts); absent in locks of older versions. */
  readonly ns?: string;
  readonly time: number;
  readonly token: string;
  /** The holder's boot id and start time (see process-identity.ts); absent in older locks or without procfs. */
  readonly boot?: string;
  readonly start?: string;
}

/**
 * Tokens of the locks this process holds right now, to recognise a lock left by an earlier process with our
 * pid. Kept on globalThis so that two installed copies of this package in one process agree on it.
 */
const HELD = Symbol.for('@phlow/keystore-file:held-locks');
function heldHere(): Set<string> {
  const global = globalThis as Record<symbol, Set<string> | undefined>;
  global[HELD] ??= new Set<string>();
  return global[HELD];
}

/** A lock file holds one short JSON object. */
const MAX_LOCK_BYTES = 4096;
/** A lock file that exists but has no readable content: its creator died between open() and write(). */
const UNREADABLE_GRACE_MS = 2000;
/** The break lock is held for a few system calls; older than this, its holder died. */
const BREAK_LOCK_STALE_MS = 5000;

function parseHolder(text: string): Holder | null {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.time === 'number') {
      const optional = (value: unknown) => value === undefined || typeof value === 'string';
      if (typeof h.token === 'string' && optional(h.ns) && optional(h.boot) && optional(h.start)) {
        return h as Holder;
      }
    }
  } catch {}
  return null;
}

type Observed = { readonly holder: Holder | null; readonly text: string; readonly mtimeMs: number } | 'gone';

async function observe(lockPath: string): Promise<Observed> {
  try {
    const [bytes, info] = await Promise.all([
      readRegularFile(lockPath, { maxBytes: MAX_LOCK_BYTES, what: 'the lock file' }),
      stat(lockPath),
    ]);
    const text = Buffer.from(bytes).toString('utf8');
    return { holder: parseHolder(text), text, mtimeMs: info.mtimeMs };
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return 'gone';
    throw fromFsError(error, 'read the lock', lockPath);
  }
}

function isStale(seen: Exclude<Observed, 'gone'>, staleMs: number): boolean {
  const { holder } = seen;
  if (!holder) return Date.now() - seen.mtimeMs > UNREADABLE_GRACE_MS;
  if (isLocal(holder.host, holder.ns)) {
    // Written before the last reboot: whatever runs under that pid now is not the holder. (The namespace id
    // alone cannot tell: the host's pid namespace has the same inode at every boot.)
    const boot = bootId();
    if (holder.boot !== undefined && boot !== null && holder.boot !== boot) return true;
    // Our own pid with a token we do not hold is a previous process that had the same pid (pid 1 in a
    // restarted container). A live local holder is waited for, never taken over by age.
    if (holder.pid === process.pid) return !heldHere().has(holder.token);
    if (!processIsAlive(holder.pid)) return true;
    // Alive, but a process that started at another moment got the pid after the holder died.
    const start = holder.start === undefined ? null : processStartTime(holder.pid);
    return start !== null && start !== holder.start;
  }
  return Date.now() - Math.max(holder.time, seen.mtimeMs) > staleMs;
}

/**
 * Removes the lock only if it is still exactly the stale one that was observed. False when another process
 * is breaking it right now (the caller waits a little). The break lock names its holder like the lock does,
 * so one left by a process killed in these few system calls is removed at once when that process is gone.
 */
async function breakStale(lockPath: string, seen: Exclude<Observed, 'gone'>, me: Holder): Promise<boolean> {
  const breakPath = `${lockPath}.break`;
  if (!(await tryCreate(breakPath, { ...me, time: Date.now() }))) {
    await removeStaleBreakLock(lockPath);
    return false;
  }
  try {
    const now = await observe(lockPath);
    if (now !== 'gone' && now.text === seen.text && now.mtimeMs === seen.mtimeMs) {
      await unlink(lockPath).catch(() => {});
    }
    return true;
  } finally {
    await unlink(breakPath).catch(() => {});
  }
}

/**
 * Removes `<lock>.break` when its holder is dead (or, for one that cannot be checked, it is older than a
 * break takes). Called by waiters that find it, and by each store once under the lock, so that a process
 * killed while breaking a lock does not leave the file for good.
 */
export async function removeStaleBreakLock(lockPath: string): Promise<void> {
  const breakPath = `${lockPath}.break`;
  const seen = await observe(breakPath).catch(() => 'gone' as const);
  if (seen !== 'gone' && isStale(seen, BREAK_LOCK_STALE_MS)) await unlink(breakPath).catch(() => {});
}

async function tryCreate(lockPath: string, holder: Holder): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(lockPath, 'wx', FILE_MODE);
  } catch (error) {
    if (hasErrno(error, 'EEXIST')) return false;
    throw fromFsError(error, 'create the lock', lockPath);
  }
  try {
    await handle.writeFile(JSON.stringify(holder));
  } finally {
    await handle.close();
  }
  return true;
}

/** Waits for and takes the lock at `lockPath`. */
export async function acquireLock(lockPath: string, options: LockOptions): Promise<FileLock> {
  const boot = bootId();
  const start = processStartTime(process.pid);
  const holder: Holder = {
    pid: process.pid,
    host: hostName(),
    ns: namespaceId(),
    time: 0,
    token: randomBytes(8).toString('hex'),
    ...(boot === null ? {} : { boot }),
    ...(start === null ? {} : { start }),
  };
  // Registered before the file exists, so another store in this process never sees our lock as foreign.
  heldHere().add(holder.token);
  try {
    await waitAndCreate(lockPath, holder, options);
  } catch (error) {
    heldHere().delete(holder.token);
    throw error;
  }

  const stillHeld = async () => {
    const seen = await observe(lockPath).catch(() => 'gone' as const);
    return seen !== 'gone' && seen.holder?.token === holder.token;
  };
  return {
    stillHeld,
    async confirm() {
      if (!(await stillHeld())) {
        throw storeError(
          'UNAVAILABLE',
          `another process took over the lock on ${lockPath} as stale (this write took longer than staleLockMs); the key file was not replaced, retry`,
        );
      }
      const now = new Date();
      await utimes(lockPath, now, now).catch(() => {});
    },
    async release() {
      if (await stillHeld()) await unlink(lockPath).catch(() => {});
      heldHere().delete(holder.token);
    },
  };
}

async function waitAndCreate(lockPath: string, holder: Holder, options: LockOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let delay = 2;
  for (;;) {
    if (await tryCreate(lockPath, { ...holder, time: Date.now() })) return;
    const seen = await observe(lockPath);
    if (seen === 'gone') continue;
    if (isStale(seen, options.staleMs) && (await breakStale(lockPath, seen, holder))) continue;
    if (Date.now() > deadline) {
      const who = seen.holder
        ? `pid ${seen.holder.pid} on ${seen.holder.host}${isLocal(seen.holder.host, seen.holder.ns) ? '' : ' (another host or pid namespace)'} since ${new Date(seen.holder.time).toISOString()}`
        : 'an unknown process';
      throw storeError(
        'UNAVAILABLE',
        `${lockPath} is held by ${who} and was not released within ${options.timeoutMs} ms; retry later, or delete the lock file if no process is using the key file`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 50);
  }
}
