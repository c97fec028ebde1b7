// The cross-process lock: live holders are waited for (bounded), stale ones are taken over.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileKeyStore } from '../src/index.js';
import { acquireLock } from '../src/lock.js';
import { bootId, namespaceId, processStartTime } from '../src/process-identity.js';
import { expectCode, RAW_KEY, readBytes, tempDir } from './helpers.js';

/** A store on a fresh file with one key, and a lock file with the given holder written beside it. */
async function lockedStore(
  holder: object | string,
  options: { lockTimeoutMs?: number; staleLockMs?: number } = {},
) {
  const store = createFileKeyStore({ cwd: tempDir(), masterKey: RAW_KEY, env: {}, ...options });
  await store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
  writeFileSync(`${store.path}.lock`, typeof holder === 'string' ? holder : JSON.stringify(holder));
  return store;
}

const deadPid = () => {
  // pids are below 2^22 on Linux; this one is not running.
  for (let pid = 4_000_000; ; pid++) {
    try {
      process.kill(pid, 0);
    } catch {
      return pid;
    }
  }
};

/** Runs `test` with the pid of a live process that has nothing to do with the lock (a `sleep`). */
async function withUnrelatedProcess(test: (pid: number) => Promise<void>) {
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await new Promise((resolve, reject) => sleeper.once('spawn', resolve).once('error', reject));
    await test(sleeper.pid!);
  } finally {
    sleeper.kill('SIGKILL');
  }
}

describe('the file lock', () => {
  it('takes over at once a lock whose pid now belongs to another live process (other start time)', async () => {
    await withUnrelatedProcess(async (pid) => {
      const start = processStartTime(pid);
      expect(start).toMatch(/^\d+$/);
      const holder = { pid, host: hostname(), ns: namespaceId(), time: Date.now(), token: 'reused' };
      const store = await lockedStore(
        { ...holder, boot: bootId(), start: String(Number(start) - 1) },
        { lockTimeoutMs: 1 },
      );
      await store.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
      expect(await store.listKeyIds()).toEqual(['a', 'b']);
    });
  });

  it('takes over at once a lock written before the last reboot (another boot id), pid alive or not', async () => {
    await withUnrelatedProcess(async (pid) => {
      const holder = { pid, host: hostname(), ns: namespaceId(), time: Date.now(), token: 'old boot' };
      const store = await lockedStore(
        { ...holder, boot: '00000000-0000-0000-0000-000000000000', start: processStartTime(pid) },
        { lockTimeoutMs: 1 },
      );
      await store.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
      expect(await store.listKeyIds()).toEqual(['a', 'b']);
    });
  });

  it('waits for a live holder whose start time and boot id match (or an older lock without them)', async () => {
    await withUnrelatedProcess(async (pid) => {
      const holder = { pid, host: hostname(), ns: namespaceId(), time: Date.now(), token: 'live' };
      for (const lock of [{ ...holder, boot: bootId(), start: processStartTime(pid) }, holder]) {
        const store = await lockedStore(lock, { lockTimeoutMs: 50 });
        await expectCode(store.storeKeyPair('b', 'p', 'q'), 'UNAVAILABLE');
        expect(await store.listKeyIds()).toEqual(['a']);
      }
    });
  });

  it('a break lock left by a killed process does not stay: taken at once behind a stale lock, and tidied', async () => {
    const dead = { pid: deadPid(), host: hostname(), ns: namespaceId(), time: Date.now(), token: 'dead' };
    // Behind a stale lock: the dead breaker's file is removed at once, not after its 5 s age limit.
    const store = await lockedStore(dead, { lockTimeoutMs: 4000 });
    writeFileSync(`${store.path}.lock.break`, JSON.stringify({ ...dead, token: 'breaker' }));
    await store.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
    expect(existsSync(`${store.path}.lock.break`)).toBe(false);
    expect(existsSync(`${store.path}.lock`)).toBe(false);

    // With no lock at all, nobody needs to break one: the first write of a store tidies it.
    const cwd = tempDir();
    const first = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    await first.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
    writeFileSync(`${first.path}.lock.break`, JSON.stringify({ ...dead, token: 'breaker' }));
    const next = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    await next.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
    expect(existsSync(`${first.path}.lock.break`)).toBe(false);
    // A live holder's break lock is left alone.
    const live = { ...dead, pid: process.ppid, token: 'live breaker' };
    writeFileSync(`${first.path}.lock.break`, JSON.stringify(live));
    await createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} }).storeKeyPair('c', 'P', 'Q');
    expect(existsSync(`${first.path}.lock.break`)).toBe(true);
  });

  it('records its boot id and start time in the lock it holds', async () => {
    const path = join(tempDir(), 'keys.enc');
    let seen: unknown;
    const lock = await acquireLock(`${path}.lock`, { timeoutMs: 1000, staleMs: 30_000 });
    try {
      seen = JSON.parse(readFileSync(`${path}.lock`, 'utf8'));
    } finally {
      await lock.release();
    }
    expect(seen).toMatchObject({ pid: process.pid, boot: bootId(), start: processStartTime(process.pid) });
  });

  it('waits for a live holder, then gives up with UNAVAILABLE and writes nothing', async () => {
    const store = await lockedStore(
      { pid: process.ppid, host: hostname(), ns: namespaceId(), time: Date.now(), token: 'live' },
      { lockTimeoutMs: 50 },
    );
    const before = readBytes(store.path);
    const error = await expectCode(store.storeKeyPair('b', 'p', 'q'), 'UNAVAILABLE');
    expect(error.message).toContain(`${store.path}.lock`);
    expect(error.message).toContain(`pid ${process.ppid}`);
    expect(readBytes(store.path)).toEqual(before);
    // Reads never wait for the lock.
    expect(await store.getPrivateKey('a')).toBe('PRIVATE a');
  });

  it('takes over at once a lock whose holder died on this host', async () => {
    const store = await lockedStore(
      { pid: deadPid(), host: hostname(), ns: namespaceId(), time: Date.now(), token: 'dead' },
      { lockTimeoutMs: 1 },
    );
    await store.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
    expect(await store.listKeyIds()).toEqual(['a', 'b']);
  });

  it('takes over a lock left by an earlier process that had our pid (a restarted container)', async () => {
    const store = await lockedStore(
      { pid: process.pid, host: hostname(), ns: namespaceId(), time: Date.now(), token: 'earlier' },
      { lockTimeoutMs: 1 },
    );
    await store.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
    expect(await store.listKeyIds()).toEqual(['a', 'b']);
  });

  it('takes over a lock from another host once it is older than staleLockMs', async () => {
    const fresh = await lockedStore(
      { pid: 1, host: 'elsewhere', time: Date.now(), token: 'fresh' },
      { lockTimeoutMs: 20, staleLockMs: 60_000 },
    );
    await expectCode(fresh.storeKeyPair('b', 'p', 'q'), 'UNAVAILABLE');
    const old = await lockedStore(
      { pid: 1, host: 'elsewhere', time: Date.now() - 120_000, token: 'old' },
      { lockTimeoutMs: 1, staleLockMs: 60_000 },
    );
    const past = new Date(Date.now() - 120_000);
    utimesSync(`${old.path}.lock`, past, past);
    await old.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
  });

  it('never takes over a live local holder by age: writers wait, then UNAVAILABLE', async () => {
    const store = await lockedStore(
      { pid: process.ppid, host: hostname(), ns: namespaceId(), time: Date.now() - 120_000, token: 'slow' },
      { lockTimeoutMs: 80, staleLockMs: 10 },
    );
    const past = new Date(Date.now() - 120_000);
    utimesSync(`${store.path}.lock`, past, past);
    const before = readBytes(store.path);
    await expectCode(store.storeKeyPair('b', 'p', 'q'), 'UNAVAILABLE');
    expect(readBytes(store.path)).toEqual(before);
    expect(readFileSync(`${store.path}.lock`, 'utf8')).toContain('slow');
  });

  it('judges a holder with our host but another pid namespace by age (lock file mtime)', async () => {
    // Its pid (our parent) runs here, but a pid from another namespace proves nothing.
    const holder = {
      pid: process.ppid,
      host: hostname(),
      ns: 'pidns:other',
      time: Date.now() - 120_000,
      token: 'ct',
    };
    // Started long ago but still refreshing the lock file (fresh mtime): not stale.
    const fresh = await lockedStore(holder, { lockTimeoutMs: 20, staleLockMs: 60_000 });
    await expectCode(fresh.storeKeyPair('b', 'p', 'q'), 'UNAVAILABLE');
    // Stopped refreshing it: taken over.
    const old = await lockedStore(holder, { lockTimeoutMs: 1, staleLockMs: 60_000 });
    const past = new Date(Date.now() - 120_000);
    utimesSync(`${old.path}.lock`, past, past);
    await old.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
    expect(await old.listKeyIds()).toEqual(['a', 'b']);
  });

  it('takes over an empty lock file (its creator died before writing it) once it is a few seconds old', async () => {
    const store = await lockedStore('', { lockTimeoutMs: 1 });
    const past = new Date(Date.now() - 60_000);
    utimesSync(`${store.path}.lock`, past, past);
    await store.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
    expect(await store.listKeyIds()).toEqual(['a', 'b']);
  });

  it('two stores in one process writing the same file at once lose nothing', async () => {
    const cwd = tempDir();
    const one = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    const two = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    const ids = Array.from({ length: 40 }, (_, i) => `k${i}`);
    await Promise.all(
      ids.map((id, i) => (i % 2 ? one : two).storeKeyPair(id, `PRIVATE ${id}`, `PUBLIC ${id}`)),
    );
    expect(await one.listKeyIds()).toEqual([...ids].sort());
  });
});
