/**
 * openRegularFile / readOpenedFile / readOpenedHead, and their synchronous forms readRegularFileSync /
 * readRegularFileTailSync, on real files: a regular file reads; a FIFO with no writer, a directory and
 * /dev/zero are refused at open without blocking; a file over the bound is refused from its size (or, for a
 * tail, read only in its end), and one that grows past it while being read; a size-0 procfs file reads; a
 * symbolic link is followed unless told not to; the synchronous forms leave no descriptor open.
 */
import { execFileSync } from 'node:child_process';
import fs, {
  appendFileSync,
  existsSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
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
  readRegularFileSync,
  readRegularFileTailSync,
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

function refusalOfSync(read: () => unknown): RegularFileRefusal {
  try {
    read();
  } catch (error) {
    if (isRegularFileRefusal(error)) return error;
    throw new Error(`expected a RegularFileRefusal, got ${String(error)}`);
  }
  throw new Error('expected a RegularFileRefusal, got a read');
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

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

describe('adapter regular-file, synchronous', () => {
  it('readRegularFileSync reads a regular file whole, at exactly its bound too', () => {
    const path = join(dir, 'sync-plain');
    writeFileSync(path, 'hello, file');
    expect(text(readRegularFileSync(path, { maxBytes: 1024 }))).toBe('hello, file');
    expect(text(readRegularFileSync(path, { maxBytes: 11 }))).toBe('hello, file');
    const empty = join(dir, 'sync-empty');
    writeFileSync(empty, '');
    expect(readRegularFileSync(empty, { maxBytes: 0 }).length).toBe(0);
  });

  it('refuses a FIFO with no writer without waiting for a writer, naming no path', () => {
    const fifo = join(dir, 'sync-fifo');
    execFileSync('mkfifo', [fifo]);
    for (const read of [
      () => readRegularFileSync(fifo, { maxBytes: 16 }),
      () => readRegularFileTailSync(fifo, { maxBytes: 16 }),
    ]) {
      const refusal = refusalOfSync(read);
      expect([refusal.reason, refusal.kind]).toEqual(['not-regular', 'FIFO']);
      expect(refusal.message).not.toContain(fifo);
      expect(refusal.message).not.toContain(dir);
    }
  });

  it('refuses a directory and /dev/zero, naming what they are', () => {
    for (const read of [readRegularFileSync, readRegularFileTailSync]) {
      const directory = refusalOfSync(() => read(dir, { maxBytes: 16 }));
      expect([directory.reason, directory.kind]).toEqual(['not-regular', 'directory']);
      const zero = refusalOfSync(() => read('/dev/zero', { maxBytes: 16 }));
      expect([zero.reason, zero.kind]).toEqual(['not-regular', 'device']);
      expect(zero.message).toContain('not a regular file');
    }
  });

  it('refuses a file over the bound from its size, without reading it (sparse 1 GiB)', () => {
    const path = join(dir, 'sync-sparse');
    writeFileSync(path, '');
    truncateSync(path, 1024 ** 3);
    const refusal = refusalOfSync(() => readRegularFileSync(path, { maxBytes: 1024 }));
    expect([refusal.reason, refusal.maxBytes]).toEqual(['too-large', 1024]);
    expect(refusal.message).toContain('larger than 1024 bytes');
  });

  it.skipIf(!existsSync('/proc/self/status'))(
    'reads past the size fstat reported (procfs, size 0), and refuses past the bound while reading',
    () => {
      // The synchronous read cannot be interleaved with an append in this thread; a procfs file, whose fstat
      // size (0) is less than what it holds, takes the same path as a file that grew after fstat.
      expect(text(readRegularFileSync('/proc/self/status', { maxBytes: 1024 * 1024 }))).toContain('Name:');
      const refusal = refusalOfSync(() => readRegularFileSync('/proc/self/status', { maxBytes: 8 }));
      expect([refusal.reason, refusal.maxBytes]).toEqual(['too-large', 8]);
    },
  );

  it('follows a symbolic link to a regular file; refuses one with followSymlinks: false', () => {
    const target = join(dir, 'sync-target');
    writeFileSync(target, 'through the link');
    const link = join(dir, 'sync-link');
    symlinkSync(target, link);
    expect(text(readRegularFileSync(link, { maxBytes: 1024 }))).toBe('through the link');
    expect(text(readRegularFileTailSync(link, { maxBytes: 4 }).bytes)).toBe('link');
    const refusal = refusalOfSync(() => readRegularFileSync(link, { maxBytes: 1024, followSymlinks: false }));
    expect([refusal.reason, refusal.kind]).toEqual(['not-regular', 'symlink']);
    const toZero = join(dir, 'sync-link-to-zero');
    symlinkSync('/dev/zero', toZero);
    expect(refusalOfSync(() => readRegularFileSync(toZero, { maxBytes: 16 })).kind).toBe('device');
    const toFifo = join(dir, 'sync-link-to-fifo');
    execFileSync('mkfifo', [join(dir, 'sync-fifo-target')]);
    symlinkSync(join(dir, 'sync-fifo-target'), toFifo);
    expect(refusalOfSync(() => readRegularFileTailSync(toFifo, { maxBytes: 16 })).kind).toBe('FIFO');
  });

  it('readRegularFileTailSync reads a smaller file whole, and only the last maxBytes of a larger one', () => {
    const path = join(dir, 'sync-log');
    writeFileSync(path, 'line one\nline two\nline three\n');
    expect(readRegularFileTailSync(path, { maxBytes: 1024 })).toEqual({
      bytes: new Uint8Array(Buffer.from('line one\nline two\nline three\n')),
      start: 0,
    });
    const tail = readRegularFileTailSync(path, { maxBytes: 11 });
    expect(text(tail.bytes)).toBe('line three\n');
    expect(tail.start).toBe(29 - 11);
    expect(readRegularFileTailSync(path, { maxBytes: 29 }).start).toBe(0);
    expect(readRegularFileTailSync(path, { maxBytes: 0 })).toEqual({ bytes: new Uint8Array(0), start: 29 });
  });

  it('readRegularFileTailSync reads the end of a sparse 1 GiB file, not the file', () => {
    const path = join(dir, 'sync-sparse-log');
    writeFileSync(path, '');
    truncateSync(path, 1024 ** 3);
    appendFileSync(path, 'the end');
    const tail = readRegularFileTailSync(path, { maxBytes: 16 });
    expect(tail.bytes.length).toBe(16);
    expect(text(tail.bytes).endsWith('the end')).toBe(true);
    expect(tail.start).toBe(1024 ** 3 + 7 - 16);
  });

  it.skipIf(!existsSync('/proc/self/fd'))('closes its descriptor after a read and after a refusal', () => {
    const before = readdirSync('/proc/self/fd').length;
    const path = join(dir, 'sync-fds');
    writeFileSync(path, 'x'.repeat(100));
    for (let i = 0; i < 20; i++) {
      readRegularFileSync(path, { maxBytes: 100 });
      readRegularFileTailSync(path, { maxBytes: 10 });
      // Refused after open, by the fstat size: the descriptor was open.
      refusalOfSync(() => readRegularFileSync(path, { maxBytes: 10 }));
      if (existsSync('/proc/self/status'))
        refusalOfSync(() => readRegularFileSync('/proc/self/status', { maxBytes: 8 }));
    }
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });

  it('checks its bound and passes file-system errors through as they are', () => {
    const path = join(dir, 'sync-plain');
    writeFileSync(path, 'x');
    for (const read of [readRegularFileSync, readRegularFileTailSync]) {
      expect(() => read(path, { maxBytes: -1 })).toThrow(RangeError);
      expect(() => read(path, { maxBytes: 1.5 })).toThrow(RangeError);
      expect(() => read(join(dir, 'sync-missing'), { maxBytes: 1 })).toThrow(
        expect.objectContaining({ code: 'ENOENT' }),
      );
    }
  });
});

describe('adapter regular-file, a read that fails midway', () => {
  const SECRET = 'a-secret-pin-314159';
  const holdsSecret = (buffer: Uint8Array) =>
    Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength).includes(SECRET);
  const eio = () => Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });

  it('sync: the error is thrown and the bytes already read are wiped', () => {
    const path = join(dir, 'fails-midway-sync');
    writeFileSync(path, SECRET);
    // The first read gets the whole file into a buffer one byte larger; the second, at its end, fails.
    const buffers: Uint8Array[] = [];
    const real = fs.readSync;
    fs.readSync = ((fd: number, buffer: Uint8Array, ...rest: never[]) => {
      buffers.push(buffer);
      if (buffers.length === 2) throw eio();
      return (real as (...a: unknown[]) => number)(fd, buffer, ...rest);
    }) as typeof fs.readSync;
    syncBuiltinESMExports();
    try {
      expect(() => readRegularFileSync(path, { maxBytes: 256 })).toThrow(
        expect.objectContaining({ code: 'EIO' }),
      );
    } finally {
      fs.readSync = real;
      syncBuiltinESMExports();
    }
    expect(buffers).toHaveLength(2);
    expect(buffers.some(holdsSecret)).toBe(false);
  });

  it('async: the error is thrown and the bytes already read are wiped', async () => {
    const path = join(dir, 'fails-midway-async');
    writeFileSync(path, SECRET);
    const file = await openRegularFile(path, { maxBytes: 256 });
    const buffers: Uint8Array[] = [];
    const handle = file.handle;
    const real = handle.read.bind(handle);
    Object.assign(handle, {
      read: (buffer: Uint8Array, offset: number, length: number, position: number) => {
        buffers.push(buffer);
        return buffers.length === 2 ? Promise.reject(eio()) : real(buffer, offset, length, position);
      },
    });
    try {
      await expect(readOpenedFile(file, 256)).rejects.toMatchObject({ code: 'EIO' });
    } finally {
      await handle.close();
    }
    expect(buffers).toHaveLength(2);
    expect(buffers.some(holdsSecret)).toBe(false);
  });
});
