/**
 * Writing whole lines, for the audit sink: one `write(2)` per batch (per PIPE_BUF bytes of whole lines on
 * stderr, which a pipe writes atomically), a short write continued, and after a write that stopped inside a
 * line (the disk filled up), the next write starts with a newline, so the cut fragment stands alone as one
 * malformed line and is never glued to the next record.
 *
 * Lines wait in a LineBatch already encoded as UTF-8, each copied once into one growing buffer as it is
 * queued: a write is the buffer as it stands, with no string joined, flattened or encoded per batch, and
 * the lines' strings are garbage at once instead of living until the flush.
 */
import { writeSync } from 'node:fs';

/** Bytes a pipe writes atomically (POSIX minimum 512, Linux 4096); an audit line is at most this long. */
export const PIPE_BUF = 4096;

const NEWLINE = 0x0a;
const FIRST_CAPACITY = 16 * 1024;

/**
 * Lines (each ending in a newline) queued as UTF-8 bytes in order, with where each one ends. Byte 0 is
 * always a newline and the lines start at byte 1, so the byte before any line is a newline: a write that
 * must start with one (after a torn write) starts a byte early. The buffer doubles as needed and is kept
 * for the next batch; the sink writes a batch once it holds 256 KiB, so it stays at most 512 KiB (more only
 * for one line longer than that).
 */
export class LineBatch {
  /** The bytes; `buffer[0]` is a newline, the lines follow from 1 to `end`. */
  buffer: Buffer = Buffer.allocUnsafeSlow(FIRST_CAPACITY);
  /** One past the last byte of the last line. */
  end = 1;
  /** Where each line ends (one past its newline), in order. */
  readonly ends: number[] = [];

  constructor() {
    this.buffer[0] = NEWLINE;
  }

  get count(): number {
    return this.ends.length;
  }

  /** Bytes of the lines queued. */
  get bytes(): number {
    return this.end - 1;
  }

  /** Room for `bytes` more bytes after `end`. */
  reserve(bytes: number): Buffer {
    const need = this.end + bytes;
    if (need > this.buffer.length) {
      let size = this.buffer.length * 2;
      while (size < need) size *= 2;
      const bigger = Buffer.allocUnsafeSlow(size);
      this.buffer.copy(bigger, 0, 0, this.end);
      this.buffer = bigger;
    }
    return this.buffer;
  }

  /** Queues `line` (ending in a newline). */
  push(line: string): void {
    this.reserve(line.length * 3);
    this.end += this.buffer.write(line, this.end);
    this.ends.push(this.end);
  }

  /** Ends the line whose bytes were written from the last line's end to `end` (by `reserve` and the buffer). */
  endLine(end: number): void {
    this.end = end;
    this.ends.push(end);
  }

  /** Queues `line` before every other line. */
  unshift(line: string): void {
    const bytes = Buffer.from(line);
    this.reserve(bytes.length);
    this.buffer.copy(this.buffer, 1 + bytes.length, 1, this.end);
    bytes.copy(this.buffer, 1);
    for (let k = 0; k < this.ends.length; k++) this.ends[k]! += bytes.length;
    this.ends.unshift(1 + bytes.length);
    this.end += bytes.length;
  }

  /** Removes the last line. */
  pop(): void {
    this.ends.pop();
    this.end = this.ends.length > 0 ? this.ends[this.ends.length - 1]! : 1;
  }

  /** Removes the first `lines` lines, keeping the others in order. */
  shift(lines: number): void {
    if (lines <= 0) return;
    if (lines >= this.ends.length) {
      this.clear();
      return;
    }
    const from = this.ends[lines - 1]!;
    const cut = from - 1;
    this.buffer.copy(this.buffer, 1, from, this.end);
    this.ends.splice(0, lines);
    for (let k = 0; k < this.ends.length; k++) this.ends[k]! -= cut;
    this.end -= cut;
  }

  clear(): void {
    this.ends.length = 0;
    this.end = 1;
  }

  /** Where line `k` starts. */
  start(k: number): number {
    return k === 0 ? 1 : this.ends[k - 1]!;
  }
}

export interface WriteResult {
  /** Lines written whole. */
  readonly done: number;
  readonly error?: string;
  /** The descriptor would block (a full non-blocking pipe) and nothing of the current write went out. */
  readonly again?: boolean;
}

/**
 * Writes the lines of `batch` in writes of at most `chunkBytes` (whole lines, at least one), continuing
 * short writes. Stops at the first error; `torn.value` then says whether a line was cut, so the next write
 * starts with a newline. Leaves `batch` as it is: the caller removes what was written.
 */
export function writeLines(
  fd: number,
  batch: LineBatch,
  chunkBytes: number,
  torn: { value: boolean },
): WriteResult {
  const { buffer, ends } = batch;
  let i = 0;
  while (i < ends.length) {
    const lead = torn.value ? 1 : 0;
    const from = batch.start(i) - lead;
    let j = i + 1;
    if (chunkBytes === Number.POSITIVE_INFINITY) j = ends.length;
    else while (j < ends.length && ends[j]! - from <= chunkBytes) j++;
    const to = ends[j - 1]!;
    let offset = 0;
    while (from + offset < to) {
      let n: number;
      try {
        n = writeSync(fd, buffer, from + offset, to - from - offset);
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'ERROR';
        return stopped(batch, i, j, lead, offset, code, torn);
      }
      if (n <= 0) return stopped(batch, i, j, lead, offset, 'EIO', torn);
      offset += n;
    }
    torn.value = false;
    i = j;
  }
  return { done: ends.length };
}

/** The result of a write of lines [i, j) (after `lead` newline bytes) that stopped after `offset` bytes. */
function stopped(
  batch: LineBatch,
  i: number,
  j: number,
  lead: number,
  offset: number,
  code: string,
  torn: { value: boolean },
): WriteResult {
  if (offset === 0) return { done: i, error: code, again: code === 'EAGAIN' };
  const reached = batch.start(i) - lead + offset;
  let k = i;
  while (k < j && batch.ends[k]! <= reached) k++;
  torn.value = reached > batch.start(k);
  return { done: k, error: code };
}
