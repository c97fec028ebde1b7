/**
 * Opening a path that configuration or a command line named as a regular file only, and reading it with a
 * bound on what it can cost (moved here from @phlow/keystore-file and the CLI, which each had their own).
 *
 * Such a path can name anything: `/dev/zero` would be read until memory runs out, a FIFO would block open()
 * until some writer appears, a terminal would wait for input no one types, a huge file would be held in
 * memory whole. So the path is opened with O_NONBLOCK (a FIFO then opens at once instead of waiting for a
 * writer; a regular file reads as usual) and O_NOCTTY, checked with fstat on the open handle (a swap of the
 * path after the check changes nothing), and read into a buffer one byte larger than fstat reported, grown
 * while the file keeps having more (a file that grows after fstat; a procfs file whose size reads as 0), never
 * past the bound plus one byte.
 *
 * Refusals are a RegularFileRefusal with a `reason`, worded neutrally and naming no path: each caller maps
 * it to its own error type and wording. File-system errors (ENOENT, EACCES, ...) are thrown as they are.
 */
import type { BigIntStats } from 'node:fs';
import { constants } from 'node:fs';
import { type FileHandle, lstat, open, stat } from 'node:fs/promises';

/**
 * What a refused path is instead of a regular file (of its own). `symlink`: only with `followSymlinks: false`;
 * `hard link`: a regular file with other names, only with `singleLink: true`.
 */
export type SpecialFileKind = 'directory' | 'FIFO' | 'socket' | 'device' | 'symlink' | 'hard link';

/** Why a file was refused: not a regular file (`kind` says what it is), or over its byte bound. */
export type RegularFileRefusalReason = 'not-regular' | 'too-large';

/** A refusal of openRegularFile or readOpenedFile. Recognise it with isRegularFileRefusal (by `name`). */
export class RegularFileRefusal extends Error {
  override readonly name = 'RegularFileRefusal';
  readonly reason: RegularFileRefusalReason;
  /** Set when `reason` is `not-regular`. */
  readonly kind: SpecialFileKind | undefined;
  /** Set when `reason` is `too-large`: the bound that was passed. */
  readonly maxBytes: number | undefined;

  constructor(
    refusal:
      | { readonly reason: 'not-regular'; readonly kind: SpecialFileKind }
      | { readonly reason: 'too-large'; readonly maxBytes: number },
  ) {
    super(
      refusal.reason === 'not-regular'
        ? refusal.kind === 'hard link'
          ? '[phlow] the path names a file with other hard links: give a file of its own'
          : `[phlow] the path names a ${refusal.kind === 'symlink' ? 'symbolic link' : refusal.kind}, not a regular file: give a regular file`
        : `[phlow] the file is larger than ${refusal.maxBytes} bytes: check that the path names the right file`,
    );
    this.reason = refusal.reason;
    this.kind = refusal.reason === 'not-regular' ? refusal.kind : undefined;
    this.maxBytes = refusal.reason === 'too-large' ? refusal.maxBytes : undefined;
  }
}

/** True for a RegularFileRefusal, also from another copy of core (checked by `name`, not `instanceof`). */
export function isRegularFileRefusal(error: unknown): error is RegularFileRefusal {
  return error instanceof Error && error.name === 'RegularFileRefusal';
}

export interface OpenRegularFileOptions {
  /** Refuse (`too-large`) a file whose fstat size is over this many bytes. Default: no size check at open. */
  readonly maxBytes?: number;
  /** Open for reading and writing (O_RDWR) instead of reading only. Default: false. */
  readonly writable?: boolean;
  /** Create the file with this mode when it is missing (O_CREAT); needs `writable`. Default: not created. */
  readonly createMode?: number;
  /** False: a symbolic link at the path is refused (`not-regular`, kind `symlink`) instead of followed
   * (O_NOFOLLOW). Default: true. */
  readonly followSymlinks?: boolean;
  /** True: a file with other hard links is refused (`not-regular`, kind `hard link`), for a file about to be
   * written, which another name could make someone else's. Default: false. */
  readonly singleLink?: boolean;
}

/** An open regular file with the fstat of its handle (bigint: nanosecond times). The caller closes `handle`. */
export interface OpenedRegularFile {
  readonly handle: FileHandle;
  readonly stats: BigIntStats;
}

function checkBound(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`[phlow] ${name} must be a whole number of bytes, 0 or more`);
}

function kindOf(stats: BigIntStats): SpecialFileKind {
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  return 'device';
}

/**
 * Opens the regular file at `path` without blocking and checks it on the open handle: anything else, or a
 * file over `maxBytes`, is a RegularFileRefusal (the handle is closed then). A path that stat already shows to
 * be something else is refused without being opened: opening a device can act (a serial line, a tape, a
 * watchdog). The check on the handle decides; the one before only spares such opens.
 */
export async function openRegularFile(
  path: string,
  options: OpenRegularFileOptions = {},
): Promise<OpenedRegularFile> {
  const { maxBytes, writable = false, createMode, followSymlinks = true, singleLink = false } = options;
  if (maxBytes !== undefined) checkBound('maxBytes', maxBytes);
  if (createMode !== undefined && !writable) throw new TypeError('[phlow] createMode needs writable: true');
  let flags = (writable ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NONBLOCK | constants.O_NOCTTY;
  if (createMode !== undefined) flags |= constants.O_CREAT;
  if (!followSymlinks) flags |= constants.O_NOFOLLOW;
  const seen = await (followSymlinks ? stat : lstat)(path, { bigint: true }).catch(() => undefined);
  if (seen?.isSymbolicLink()) throw new RegularFileRefusal({ reason: 'not-regular', kind: 'symlink' });
  if (seen && !seen.isFile()) throw new RegularFileRefusal({ reason: 'not-regular', kind: kindOf(seen) });
  let handle: FileHandle;
  try {
    handle = await open(path, flags, createMode);
  } catch (error) {
    // With O_NOFOLLOW, ELOOP is the kernel's answer for a symbolic link as the last part of the path.
    if (!followSymlinks && (error as { code?: unknown }).code === 'ELOOP')
      throw new RegularFileRefusal({ reason: 'not-regular', kind: 'symlink' });
    throw error;
  }
  try {
    const stats = await handle.stat({ bigint: true });
    if (!stats.isFile()) throw new RegularFileRefusal({ reason: 'not-regular', kind: kindOf(stats) });
    if (singleLink && stats.nlink > 1n)
      throw new RegularFileRefusal({ reason: 'not-regular', kind: 'hard link' });
    if (maxBytes !== undefined && stats.size > BigInt(maxBytes))
      throw new RegularFileRefusal({ reason: 'too-large', maxBytes });
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Up to `cap` bytes from the start of the file: into a buffer one byte larger than fstat reported (so growth
 * since then shows), grown (doubling, never past `cap`) while the file keeps having more. Buffers are not
 * zero-filled (only the bytes read are returned: at 17 MiB that fill was a fifth of a read); a buffer left
 * behind when growing is wiped, as it holds what was read.
 */
async function readFromStart({ handle, stats }: OpenedRegularFile, cap: number): Promise<Uint8Array> {
  if (cap === 0) return new Uint8Array(0);
  let buffer = Buffer.allocUnsafeSlow(Math.max(1, Math.min(cap, Number(stats.size) + 1)));
  let length = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
    if (length === cap) break;
    if (length === buffer.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.min(buffer.length * 2, cap));
      buffer.copy(bigger, 0, 0, length);
      buffer.fill(0, 0, length);
      buffer = bigger;
    }
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}

/**
 * All of a file that openRegularFile opened, from its start: a RegularFileRefusal (`too-large`) as soon as
 * more than `maxBytes` were read (a file that grew since it was opened).
 */
export async function readOpenedFile(file: OpenedRegularFile, maxBytes: number): Promise<Uint8Array> {
  checkBound('maxBytes', maxBytes);
  const bytes = await readFromStart(file, maxBytes + 1);
  if (bytes.length > maxBytes) {
    bytes.fill(0);
    throw new RegularFileRefusal({ reason: 'too-large', maxBytes });
  }
  return bytes;
}

/** At most the first `bytes` bytes of a file that openRegularFile opened (fewer when it is shorter). */
export async function readOpenedHead(file: OpenedRegularFile, bytes: number): Promise<Uint8Array> {
  checkBound('bytes', bytes);
  return readFromStart(file, bytes);
}
