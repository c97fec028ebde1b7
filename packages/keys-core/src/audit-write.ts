/**
 * Writing whole lines, for the audit sink: one `write(2)` per batch (per PIPE_BUF bytes of whole lines on
 * stderr, which a pipe writes atomically), a short write continued, and after a write that stopped inside a
 * line (the disk filled up), the next write starts with a newline, so the cut fragment stands alone as one
 * malformed line and is never glued to the next record.
 */
import { writeSync } from 'node:fs';

/** Bytes a pipe writes atomically (POSIX minimum 512, Linux 4096); an audit line is at most this long. */
export const PIPE_BUF = 4096;

export interface WriteResult {
  /** Lines written whole. */
  readonly done: number;
  readonly error?: string;
  /** The descriptor would block (a full non-blocking pipe) and nothing of the current write went out. */
  readonly again?: boolean;
}

/**
 * Writes `lines` (each ending in a newline) in writes of at most `chunkBytes` (whole lines, at least one),
 * continuing short writes. Stops at the first error; `torn.value` then says whether a line was cut, so the
 * next write starts with a newline.
 */
export function writeLines(
  fd: number,
  lines: string[],
  chunkBytes: number,
  torn: { value: boolean },
): WriteResult {
  let i = 0;
  while (i < lines.length) {
    let text = torn.value ? '\n' : '';
    let bytes = text.length;
    let j = i;
    while (j < lines.length) {
      const size = chunkBytes === Number.POSITIVE_INFINITY ? 0 : Buffer.byteLength(lines[j]!);
      if (j > i && bytes + size > chunkBytes) break;
      text += lines[j];
      bytes += size;
      j++;
    }
    const buffer = Buffer.from(text);
    let offset = 0;
    while (offset < buffer.length) {
      let n: number;
      try {
        n = writeSync(fd, buffer, offset, buffer.length - offset);
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'ERROR';
        return stopped(lines, i, j, offset, code, torn);
      }
      if (n <= 0) return stopped(lines, i, j, offset, 'EIO', torn);
      offset += n;
    }
    torn.value = false;
    i = j;
  }
  return { done: lines.length };
}

/** The result of a write of lines[i..j) that stopped after `offset` bytes. */
function stopped(
  lines: string[],
  i: number,
  j: number,
  offset: number,
  code: string,
  torn: { value: boolean },
): WriteResult {
  if (offset === 0) return { done: i, error: code, again: code === 'EAGAIN' };
  let end = torn.value ? 1 : 0;
  let k = i;
  while (k < j) {
    const size = Buffer.byteLength(lines[k]!);
    if (end + size > offset) break;
    end += size;
    k++;
  }
  torn.value = offset > end;
  return { done: k, error: code };
}
