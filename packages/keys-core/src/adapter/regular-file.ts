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
 *
 * The same rules run synchronously (readRegularFileSync, readRegularFileTailSync) for callers that read once
 * at start-up or in a synchronous command (a PIN file, an audit log). The checks below are written once and
 * used by both; the bounded read is written once as a sequence of read steps (boundedRead) that an async and a
 * sync driver each carry out, so the bound and the growth rule cannot drift apart between the two.
 */
import type { BigIntStats } from 'node:fs';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import { type FileHandle, lstat, open, stat } from 'node:fs/promises';

/**
 * What a refused path is instead of a regular file (of its own). `symlink`: only with `followSymlinks: false`;
 * `hard link`: a regular file with other names, only with `singleLink: true`.
 */
export type SpecialFileKind = 'directory' | 'FIFO' | 'socket' | 'device' | 'symlink' | 'hard link';

/** Why a file was refused: not a regular file (`kind` says what it is), or over its byte bound. */
export type RegularFileRefusalReason = 'not-regular' | 'too-large';

/**
 * A refusal of openRegularFile, readOpenedFile or their synchronous forms. Recognise it with
 * isRegularFileRefusal (by `name`).
 */
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

function openFlags(writable: boolean, createMode: number | undefined, followSymlinks: boolean): number {
  let flags = (writable ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NONBLOCK | constants.O_NOCTTY;
  if (createMode !== undefined) flags |= constants.O_CREAT;
  if (!followSymlinks) flags |= constants.O_NOFOLLOW;
  return flags;
}

/** The checks of the options, before anything is touched. Returns them with their defaults. */
function checkedOptions(options: OpenRegularFileOptions) {
  const { maxBytes, writable = false, createMode, followSymlinks = true, singleLink = false } = options;
  if (maxBytes !== undefined) checkBound('maxBytes', maxBytes);
  if (createMode !== undefined && !writable) throw new TypeError('[phlow] createMode needs writable: true');
  return { maxBytes, writable, createMode, followSymlinks, singleLink };
}

/** The check before open, on what stat (lstat without followSymlinks) saw: only spares opening a device. */
function refuseSeen(seen: BigIntStats | undefined): void {
  if (seen?.isSymbolicLink()) throw new RegularFileRefusal({ reason: 'not-regular', kind: 'symlink' });
  if (seen && !seen.isFile()) throw new RegularFileRefusal({ reason: 'not-regular', kind: kindOf(seen) });
}

/** An open() error as thrown to the caller: with O_NOFOLLOW, ELOOP is the kernel's answer for a symbolic link
 * as the last part of the path. */
function openError(error: unknown, followSymlinks: boolean): unknown {
  return !followSymlinks && (error as { code?: unknown }).code === 'ELOOP'
    ? new RegularFileRefusal({ reason: 'not-regular', kind: 'symlink' })
    : error;
}

/** The check that decides, on the fstat of the open handle. */
function refuseOpened(
  stats: BigIntStats,
  { maxBytes, singleLink }: { maxBytes: number | undefined; singleLink: boolean },
): void {
  if (!stats.isFile()) throw new RegularFileRefusal({ reason: 'not-regular', kind: kindOf(stats) });
  if (singleLink && stats.nlink > 1n)
    throw new RegularFileRefusal({ reason: 'not-regular', kind: 'hard link' });
  if (maxBytes !== undefined && stats.size > BigInt(maxBytes))
    throw new RegularFileRefusal({ reason: 'too-large', maxBytes });
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
  const checked = checkedOptions(options);
  const { writable, createMode, followSymlinks } = checked;
  refuseSeen(await (followSymlinks ? stat : lstat)(path, { bigint: true }).catch(() => undefined));
  let handle: FileHandle;
  try {
    handle = await open(path, openFlags(writable, createMode, followSymlinks), createMode);
  } catch (error) {
    throw openError(error, followSymlinks);
  }
  try {
    const stats = await handle.stat({ bigint: true });
    refuseOpened(stats, checked);
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** openRegularFile, synchronously, for reading: a descriptor the caller closes. */
function openRegularFileSync(
  path: string,
  options: { maxBytes?: number; followSymlinks?: boolean },
): { fd: number; stats: BigIntStats } {
  const checked = checkedOptions(options);
  const { followSymlinks } = checked;
  let seen: BigIntStats | undefined;
  try {
    seen = (followSymlinks ? statSync : lstatSync)(path, { bigint: true });
  } catch {
    seen = undefined; // the open below reports why (ENOENT, EACCES, ...)
  }
  refuseSeen(seen);
  let fd: number;
  try {
    fd = openSync(path, openFlags(false, undefined, followSymlinks));
  } catch (error) {
    throw openError(error, followSymlinks);
  }
  try {
    const stats = fstatSync(fd, { bigint: true });
    refuseOpened(stats, checked);
    return { fd, stats };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** One read a driver is to make: `length` bytes at `position` of the file into `buffer` at `offset`. */
interface ReadStep {
  readonly buffer: Buffer;
  readonly offset: number;
  readonly length: number;
  readonly position: number;
}

/**
 * The one bounded read, as steps: each yields a read to make and is sent how many bytes it read (0: the end of
 * the file). It reads from `from` up to `cap` bytes: into a buffer one byte larger than fstat reported (so
 * growth since then shows), grown (doubling, never past `cap`) while the file keeps having more. Buffers are
 * not zero-filled (only the bytes read are returned: at 17 MiB that fill was a fifth of a read); a buffer left
 * behind when growing is wiped, as it holds what was read.
 */
function* boundedRead(size: bigint, cap: number, from = 0): Generator<ReadStep, Uint8Array, number> {
  if (cap === 0) return new Uint8Array(0);
  let buffer = Buffer.allocUnsafeSlow(Math.max(1, Math.min(cap, Number(size) - from + 1)));
  let length = 0;
  try {
    for (;;) {
      const bytesRead: number = yield {
        buffer,
        offset: length,
        length: buffer.length - length,
        position: from + length,
      };
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
  } catch (error) {
    // A read that failed midway (EIO): what the earlier reads got may be a secret, and is dropped wiped.
    buffer.fill(0, 0, length);
    throw error;
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}

/** Hands a failed read to boundedRead (which wipes what it read) and throws it. */
function failStep(steps: Generator<ReadStep, Uint8Array, number>, error: unknown): never {
  steps.throw(error);
  throw error;
}

/** Carries out boundedRead's steps on a FileHandle. */
async function readSteps(handle: FileHandle, steps: Generator<ReadStep, Uint8Array, number>) {
  let step = steps.next();
  while (!step.done) {
    const { buffer, offset, length, position } = step.value;
    const read = await handle
      .read(buffer, offset, length, position)
      .catch((e: unknown) => failStep(steps, e));
    step = steps.next(read.bytesRead);
  }
  return step.value;
}

/** Carries out boundedRead's steps on a file descriptor. */
function readStepsSync(fd: number, steps: Generator<ReadStep, Uint8Array, number>): Uint8Array {
  let step = steps.next();
  while (!step.done) {
    const { buffer, offset, length, position } = step.value;
    let bytesRead: number;
    try {
      bytesRead = readSync(fd, buffer, offset, length, position);
    } catch (error) {
      failStep(steps, error);
    }
    step = steps.next(bytesRead);
  }
  return step.value;
}

/** `bytes` if they are within `maxBytes`, else wiped and refused (`too-large`). */
function withinBound(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (bytes.length <= maxBytes) return bytes;
  bytes.fill(0);
  throw new RegularFileRefusal({ reason: 'too-large', maxBytes });
}

/**
 * All of a file that openRegularFile opened, from its start: a RegularFileRefusal (`too-large`) as soon as
 * more than `maxBytes` were read (a file that grew since it was opened).
 */
export async function readOpenedFile(file: OpenedRegularFile, maxBytes: number): Promise<Uint8Array> {
  checkBound('maxBytes', maxBytes);
  return withinBound(await readSteps(file.handle, boundedRead(file.stats.size, maxBytes + 1)), maxBytes);
}

/** At most the first `bytes` bytes of a file that openRegularFile opened (fewer when it is shorter). */
export async function readOpenedHead(file: OpenedRegularFile, bytes: number): Promise<Uint8Array> {
  checkBound('bytes', bytes);
  return readSteps(file.handle, boundedRead(file.stats.size, bytes));
}

export interface ReadRegularFileSyncOptions {
  /** The byte bound: a file over it is refused (`too-large`) by readRegularFileSync, read only in its last
   * `maxBytes` bytes by readRegularFileTailSync. Required. */
  readonly maxBytes: number;
  /** False: a symbolic link at the path is refused (`not-regular`, kind `symlink`) instead of followed
   * (O_NOFOLLOW). Default: true. */
  readonly followSymlinks?: boolean;
}

/**
 * The whole regular file at `path`, synchronously, under the rules of openRegularFile and readOpenedFile:
 * refused without being opened when stat shows something else, opened without blocking, decided by fstat on
 * the descriptor, refused (`too-large`) when fstat reports more than `maxBytes` or more than `maxBytes` are
 * read (at most `maxBytes` + 1 are). The descriptor is always closed. For a file read once at start-up.
 */
export function readRegularFileSync(path: string, options: ReadRegularFileSyncOptions): Uint8Array {
  const { maxBytes, followSymlinks } = options;
  checkBound('maxBytes', maxBytes);
  const { fd, stats } = openRegularFileSync(path, { maxBytes, followSymlinks });
  try {
    return withinBound(readStepsSync(fd, boundedRead(stats.size, maxBytes + 1)), maxBytes);
  } finally {
    closeSync(fd);
  }
}

/** The end of a file that readRegularFileTailSync read. */
export interface RegularFileTail {
  readonly bytes: Uint8Array;
  /** Where in the file `bytes` start: 0 when the file was read from its beginning, more when only its last
   * `maxBytes` bytes were (the first line of `bytes` is then likely a partial one). */
  readonly start: number;
}

/**
 * The last `maxBytes` bytes of the regular file at `path` (all of it when it is smaller), synchronously, under
 * the rules of readRegularFileSync, except that a larger file is not refused: its beginning is left out. The
 * end is the one fstat reported at open: bytes appended after it are not read (a log being written is read as
 * it was when opened), so at most `maxBytes` are read. A file whose size reads as 0 (procfs) reads as empty.
 */
export function readRegularFileTailSync(path: string, options: ReadRegularFileSyncOptions): RegularFileTail {
  const { maxBytes, followSymlinks } = options;
  checkBound('maxBytes', maxBytes);
  const { fd, stats } = openRegularFileSync(path, { followSymlinks });
  try {
    const length = stats.size < BigInt(maxBytes) ? Number(stats.size) : maxBytes;
    const start = Number(stats.size) - length;
    return { bytes: readStepsSync(fd, boundedRead(stats.size, length, start)), start };
  } finally {
    closeSync(fd);
  }
}
