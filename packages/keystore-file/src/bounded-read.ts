/**
 * Reading the files this store is pointed at (the key file, its backups, the master key file, the lock) with a
 * bound on what they can cost: only regular files, and only up to a size limit.
 *
 * The opening, checking and bounded reading are core's (`@phlow/keys-core/adapter` regular-file: O_NONBLOCK,
 * fstat on the handle, a read that catches a file growing past its limit). This file maps core's neutral
 * refusals to this store's errors: INVALID_CONFIG naming the file, its path (from configuration, not key
 * material) and the setting that raises the limit.
 */

import {
  isRegularFileRefusal,
  type OpenedRegularFile,
  openRegularFile as openShared,
  readOpenedFile,
  type SpecialFileKind,
} from '@phlow/keys-core/adapter';
import { configError } from './errors.js';

/** What the caller names in errors: the kind of file, and the setting that raises its limit, if any. */
export interface ReadLimit {
  readonly maxBytes: number;
  /** "the key file", "the master key file", ... */
  readonly what: string;
  /** Where a user raises the limit (`maxFileBytes / PHLOW_KEY_STORE_FILE_MAX_BYTES`); none: fixed. */
  readonly setting?: string;
}

/** An open regular file within its limit, with the fstat of the handle (bigint: nanosecond times). */
export type OpenRegularFile = OpenedRegularFile;

const KIND_WORDS: Record<SpecialFileKind, string> = {
  directory: 'a directory',
  FIFO: 'a FIFO',
  socket: 'a socket',
  device: 'a device or other special file',
  symlink: 'a symbolic link',
  'hard link': 'a file with other hard links',
};

/** A file larger than its limit: INVALID_CONFIG naming the limit and how to raise it. */
export function tooLargeError(path: string, limit: ReadLimit): Error {
  return configError(
    `${limit.what} ${path} is larger than ${limit.maxBytes} bytes; ${limit.setting ? `raise ${limit.setting} if it really is that large` : 'check that the path names the right file'}`,
  );
}

/** Core's refusal as this store's INVALID_CONFIG; anything else (file-system errors) as it is. */
function mapRefusal(error: unknown, path: string, limit: ReadLimit): unknown {
  if (!isRegularFileRefusal(error)) return error;
  if (error.reason === 'too-large') return tooLargeError(path, limit);
  return configError(
    `${limit.what} ${path} is ${KIND_WORDS[error.kind ?? 'device']}, not a regular file; point it at a regular file`,
  );
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
  let file: OpenedRegularFile;
  try {
    file = await openShared(path, { maxBytes: limit.maxBytes });
  } catch (error) {
    throw mapRefusal(error, path, limit);
  }
  onStat?.(Number(file.stats.mode));
  return file;
}

/** Reads a file that `openRegularFile` opened, from its start, at most `limit.maxBytes` (else too large). */
export async function readOpened(file: OpenRegularFile, path: string, limit: ReadLimit): Promise<Uint8Array> {
  try {
    return await readOpenedFile(file, limit.maxBytes);
  } catch (error) {
    throw mapRefusal(error, path, limit);
  }
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
