/**
 * Adds lines to a .gitignore, creating it if needed, without repeating a line already there: running
 * `init` twice, or in a project that already ignores `.phlow/`, leaves the file as it was.
 *
 * A .gitignore that is a symbolic link, a FIFO or anything but a regular file is left alone (opened with
 * O_NOFOLLOW and O_NONBLOCK, checked with fstat), so `init` never appends to a file somewhere else on the
 * system or hangs on a pipe. The caller tells the user to add the lines by hand.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** A .gitignore larger than this is not a .gitignore anyone wrote by hand: left alone. */
const MAX_BYTES = 1024 * 1024;

/** Patterns git treats alike for our purpose: `.phlow`, `.phlow/`, `/.phlow`, `/.phlow/`. */
const normalise = (line: string) => line.trim().replace(/^\//, '').replace(/\/$/, '');

export type IgnoreResult =
  | { readonly added: string[] }
  /** Not changed: why, in words for a warning. */
  | { readonly added: []; readonly skipped: string };

/** Adds the missing entries; `added` is empty when all were present. */
export async function ensureIgnored(
  path: string,
  entries: readonly string[],
  comment: string,
): Promise<IgnoreResult> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(
      path,
      constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      0o644,
    );
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOOP') return { added: [], skipped: 'it is a symbolic link' };
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { added: [], skipped: 'it is not a regular file' };
    if (stats.size > MAX_BYTES) return { added: [], skipped: `it is larger than ${MAX_BYTES} bytes` };
    const text = (await handle.readFile('utf8')) as string;
    const present = new Set(text.split(/\r?\n/).map(normalise));
    const missing = entries.filter((entry) => !present.has(normalise(entry)));
    if (missing.length === 0) return { added: [] };
    const separator = text === '' ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    await handle.write(`${separator}# ${comment}\n${missing.join('\n')}\n`, Buffer.byteLength(text));
    return { added: missing };
  } finally {
    await handle.close();
  }
}
