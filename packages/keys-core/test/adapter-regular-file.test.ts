/**
 * openRegularFile / readOpenedFile / readOpenedHead on real files: a regular file reads; a FIFO with no
 * writer, a directory and /dev/zero are refused at open without blocking; a file over the bound is refused
 * from its size, and one that grows past it while being read; a size-0 procfs file reads; a symbolic link is
 * followed unless told not to.
 */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  linkSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isRegularFileRefusal,
  type OpenRegularFileOptions,
  openRegularFile,
  RegularFileRefusal,
  readOpenedFile,
  readOpenedHead,
} from '../src/adapter/index.js';

const dir = mkdtempSync(join(tmpdir(), 'phlow-regular-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readWhole(path: string, maxBytes: number, options: OpenRegularFileOptions = {}) {
  const file = await openRegularFile(path, { ...options, maxBytes });
  try {
    return await readOpenedFile(file, maxBytes);
  } finally {
    await file.handle.close();
  }
}

async function refusalOf(promise: Promise<unknown>): Promise<RegularFileRefusal> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRegularFileRefusal(error)) throw new Error(`expected a RegularFileRefusal, got ${String(error)}`);
  return error;
}

describe('adapter regular-file', () => {
  it('reads a regular file whole, at exactly its bound too', async () => {
    const path = join(dir, 'plain');
    writeFileSync(path, 'hello, file');
    expect(Buffer.from(await readWhole(path, 1024)).toString()).toBe('hello, file');
    expect(Buffer.from(await readWhole(path, 11)).toString()).toBe('hello, file');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    expect((await readWhole(empty, 0)).length).toBe(0);
  });

  it('refuses a FIFO with no writer at open, without waiting for a writer', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const refusal = await refusalOf(openRegularFile(fifo));
    expect(refusal.reason).toBe('not-regular');
    expect(refusal.kind).toBe('FIFO');
    expect(refusal.message).not.toContain(fifo);
  });

  it('refuses a directory and /dev/zero, naming what they are', async () => {
    const directory = await refusalOf(openRegularFile(dir));
    expect([directory.reason, directory.kind]).toEqual(['not-regular', 'directory']);
    const zero = await refusalOf(openRegularFile('/dev/zero', { maxBytes: 16 }));
    expect([zero.reason, zero.kind]).toEqual(['not-regular', 'device']);
    expect(zero.message).toContain('not a regular file');
  });

  it('refuses a file over the bound from its size, without reading it (sparse 1 GiB)', async () => {
    const path = join(dir, 'sparse');
    writeFileSync(path, '');
    truncateSync(path, 1024 ** 3);
    const refusal = await refusalOf(readWhole(path, 1024));
    expect(refusal.reason).toBe('too-large');
    expect(refusal.maxBytes).toBe(1024);
    expect(refusal.message).toContain('larger than 1024 bytes');
    expect(refusal.kind).toBeUndefined();
  });

  it('refuses a file that grows past the bound after it was opened', async () => {
    const path = join(dir, 'growing');
    writeFileSync(path, 'x'.repeat(10));
    const file = await openRegularFile(path, { maxBytes: 100 });
    try {
      appendFileSync(path, 'y'.repeat(200));
      const refusal = await refusalOf(readOpenedFile(file, 100));
      expect(refusal.reason).toBe('too-large');
    } finally {
      await file.handle.close();
    }
  });

  it('reads growth within the bound past the size fstat reported', async () => {
    const path = join(dir, 'grown');
    writeFileSync(path, 'a');
    const file = await openRegularFile(path, { maxBytes: 10_000 });
    try {
      appendFileSync(path, 'b'.repeat(5000));
      expect((await readOpenedFile(file, 10_000)).length).toBe(5001);
    } finally {
      await file.handle.close();
    }
  });

  it.skipIf(!existsSync('/proc/self/status'))(
    'reads a procfs file whose size is 0, and refuses it past a small bound',
    async () => {
      const whole = await readWhole('/proc/self/status', 1024 * 1024);
      expect(Buffer.from(whole).toString()).toContain('Name:');
      expect((await refusalOf(readWhole('/proc/self/status', 8))).reason).toBe('too-large');
    },
  );

  it('follows a symbolic link to a regular file; refuses one with followSymlinks: false', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'through the link');
    const link = join(dir, 'link');
    symlinkSync(target, link);
    expect(Buffer.from(await readWhole(link, 1024)).toString()).toBe('through the link');
    const refusal = await refusalOf(openRegularFile(link, { followSymlinks: false }));
    expect([refusal.reason, refusal.kind]).toEqual(['not-regular', 'symlink']);
    const toZero = join(dir, 'link-to-zero');
    symlinkSync('/dev/zero', toZero);
    expect((await refusalOf(openRegularFile(toZero))).kind).toBe('device');
  });

  it('singleLink refuses a file with other hard links (a file about to be written), and only then', async () => {
    const own = join(dir, 'own');
    writeFileSync(own, 'mine');
    const other = join(dir, 'other-name');
    linkSync(own, other);
    const refusal = await refusalOf(openRegularFile(other, { writable: true, singleLink: true }));
    expect([refusal.reason, refusal.kind]).toEqual(['not-regular', 'hard link']);
    expect(refusal.message).not.toContain(dir);
    expect(Buffer.from(await readWhole(other, 1024)).toString()).toBe('mine');
    const single = join(dir, 'single');
    writeFileSync(single, 'alone');
    const file = await openRegularFile(single, { writable: true, singleLink: true });
    await file.handle.close();
  });

  it('readOpenedHead reads at most the bytes asked for, fewer from a shorter file', async () => {
    const path = join(dir, 'head');
    writeFileSync(path, 'abcdefghij');
    const file = await openRegularFile(path);
    try {
      expect(Buffer.from(await readOpenedHead(file, 4)).toString()).toBe('abcd');
      expect(Buffer.from(await readOpenedHead(file, 100)).toString()).toBe('abcdefghij');
      expect((await readOpenedHead(file, 0)).length).toBe(0);
    } finally {
      await file.handle.close();
    }
  });

  it('creates a missing file when writable with a createMode, and writes through the handle', async () => {
    const path = join(dir, 'created');
    const file = await openRegularFile(path, { writable: true, createMode: 0o600 });
    try {
      expect(file.stats.size).toBe(0n);
      await file.handle.write('written', 0);
    } finally {
      await file.handle.close();
    }
    expect(readFileSync(path, 'utf8')).toBe('written');
  });

  it('checks its bounds and options', async () => {
    const path = join(dir, 'plain');
    await expect(openRegularFile(path, { maxBytes: -1 })).rejects.toThrow(RangeError);
    await expect(openRegularFile(path, { maxBytes: 1.5 })).rejects.toThrow(RangeError);
    await expect(openRegularFile(path, { createMode: 0o600 })).rejects.toThrow(TypeError);
    expect(isRegularFileRefusal(new Error('other'))).toBe(false);
    expect(new RegularFileRefusal({ reason: 'too-large', maxBytes: 3 }).name).toBe('RegularFileRefusal');
  });

  it('passes file-system errors through as they are', async () => {
    await expect(openRegularFile(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
