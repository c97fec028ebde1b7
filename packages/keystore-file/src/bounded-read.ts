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
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
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

/**
 * The bytes of the regular file at `path`, at most `limit.maxBytes`. `onStat` sees the open handle's mode
 * (for the mode warning). File-system errors (ENOENT, EACCES, ...) are thrown as they are, for the caller to
 * map; a special file or one over the limit is INVALID_CONFIG.
 */
export async function readRegularFile(
  path: string,
  limit: ReadLimit,
  onStat?: (mode: number) => void,
): Promise<Uint8Array> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw configError(
        `${limit.what} ${path} is ${kindOf(stats)}, not a regular file; point it at a regular file`,
      );
    }
    onStat?.(stats.mode);
    if (stats.size > limit.maxBytes) throw tooLargeError(path, limit);
    // One byte more than fstat reported, so that growth since then shows; grown again (doubling, never past
    // the limit plus one) while the file keeps having more, as a file whose size reads as 0 (procfs) does.
    let buffer = Buffer.alloc(stats.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > limit.maxBytes) throw tooLargeError(path, limit);
      if (length === buffer.length) {
        const bigger = Buffer.alloc(Math.min(buffer.length * 2, limit.maxBytes + 1));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
  } finally {
    await handle.close();
  }
}
