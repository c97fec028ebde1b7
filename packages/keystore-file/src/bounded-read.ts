/**
 * Reading the files this store is pointed at (the key file, its backups, the master key file, the lock) with a
 * bound on what they can cost: only regular files, and only up to a size limit.
 *
 * The path comes from configuration, so it can name anything: `/dev/zero` would be read until memory runs
 * out, a FIFO would block open() until some writer appears, a huge file would be held in memory whole. The
 * file is opened with O_NONBLOCK (a FIFO then opens at once instead of waiting for a writer; a regular file
 * reads as usual), checked with fstat on the open handle (so a swap of the path after the check changes
 * nothing), and read into a buffer one byte larger than the limit, so a file that grows after fstat is
 * still caught.
 */

import type { BigIntStats } from 'node:fs';
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { configError } from './errors.js';

/** What the caller names in errors: the kind of file, and the setting that raises its limit, if any. */
export interface ReadLimit {
  readonly maxBytes: number;
  /** "the key file", "the master key file", ... */
  readonly what: string;
  /** Where a user raises the limit (`maxFileBytes / PHLOW_KEY_STORE_FILE_MAX_BYTES`); none: fixed. */
  readonly setting?: string;
}

function kindOf(stats: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'a device or other special file';
}

/** A file larger than its limit: INVALID_CONFIG naming the limit and how to raise it. */
export function tooLargeError(path: string, limit: ReadLimit): Error {
  return configError(
    `${limit.what} ${path} is larger than ${limit.maxBytes} bytes; ${limit.setting ? `raise ${limit.setting} if it really is that large` : 'check that the path names the right file'}`,
  );
}

/** An open regular file within its limit, with the fstat of the handle (bigint: nanosecond times). */
export interface OpenRegularFile {
  readonly handle: FileHandle;
  readonly stats: BigIntStats;
}

/**
 * Opens the regular file at `path` and checks it on the open handle: a special file or one over the limit is
 * INVALID_CONFIG (the handle is closed then); file-system errors (ENOENT, EACCES, ...) are thrown as they
 * are, for the caller to map. `onStat` sees the mode (for the mode warning). The caller closes the handle.
 */
export async function openRegularFile(
  path: string,
  limit: ReadLimit,
  onStat?: (mode: number) => void,
): Promise<OpenRegularFile> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stats = await handle.stat({ bigint: true });
    if (!stats.isFile()) {
      throw configError(
        `${limit.what} ${path} is ${kindOf(stats)}, not a regular file; point it at a regular file`,
      );
    }
    onStat?.(Number(stats.mode));
    if (stats.size > BigInt(limit.maxBytes)) throw tooLargeError(path, limit);
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Reads a file that `openRegularFile` opened, from its start, at most `limit.maxBytes`: into a buffer one
 * byte larger than fstat reported, so that growth since then shows; grown again (doubling, never past the
 * limit plus one) while the file keeps having more, as a file whose size reads as 0 (procfs) does. The
 * buffer is not zero-filled first (only the bytes read are ever returned): at 17 MiB that fill was a fifth
 * of a read.
 */
export async function readOpened(
  { handle, stats }: OpenRegularFile,
  path: string,
  limit: ReadLimit,
): Promise<Uint8Array> {
  let buffer = Buffer.allocUnsafeSlow(Number(stats.size) + 1);
  let length = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
    if (length > limit.maxBytes) throw tooLargeError(path, limit);
    if (length === buffer.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.min(buffer.length * 2, limit.maxBytes + 1));
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}

/**
 * The bytes of the regular file at `path`, at most `limit.maxBytes` (see openRegularFile and readOpened).
 */
export async function readRegularFile(
  path: string,
  limit: ReadLimit,
  onStat?: (mode: number) => void,
): Promise<Uint8Array> {
  const file = await openRegularFile(path, limit, onStat);
  try {
    return await readOpened(file, path, limit);
  } finally {
    await file.handle.close();
  }
}
