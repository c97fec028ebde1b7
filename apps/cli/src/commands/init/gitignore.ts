/**
 * Adds lines to a .gitignore, creating it if needed, without repeating a line already there: running
 * `init` twice, or in a project that already ignores `.phlow/`, leaves the file as it was.
 *
 * A .gitignore that is a symbolic link, a FIFO or anything but a regular file is left alone (opened with core's
 * regular-file helper, without following a link and without blocking, checked with fstat), so `init` never
 * appends to a file somewhere else on the system or hangs on a pipe. The caller tells the user to add the
 * lines by hand.
 */
import {
  isRegularFileRefusal,
  type OpenedRegularFile,
  openRegularFile,
  type RegularFileRefusal,
  readOpenedFile,
} from '@phlow/keys-core/adapter';

/** A .gitignore larger than this is not a .gitignore anyone wrote by hand: left alone. */
const MAX_BYTES = 1024 * 1024;

/** Patterns git treats alike for our purpose: `.phlow`, `.phlow/`, `/.phlow`, `/.phlow/`. */
const normalise = (line: string) => line.trim().replace(/^\//, '').replace(/\/$/, '');

export type IgnoreResult =
  | { readonly added: string[] }
  /** Not changed: why, in words for a warning. */
  | { readonly added: []; readonly skipped: string };

function skippedBecause(refusal: RegularFileRefusal): string {
  if (refusal.reason === 'too-large') return `it is larger than ${MAX_BYTES} bytes`;
  if (refusal.kind === 'symlink') return 'it is a symbolic link';
  return refusal.kind === 'hard link' ? 'it has other hard links' : 'it is not a regular file';
}

/** Adds the missing entries; `added` is empty when all were present. */
export async function ensureIgnored(
  path: string,
  entries: readonly string[],
  comment: string,
): Promise<IgnoreResult> {
  let file: OpenedRegularFile | undefined;
  try {
    file = await openRegularFile(path, {
      maxBytes: MAX_BYTES,
      writable: true,
      createMode: 0o644,
      followSymlinks: false,
      singleLink: true,
    });
    const bytes = await readOpenedFile(file, MAX_BYTES);
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    const present = new Set(text.split(/\r?\n/).map(normalise));
    const missing = entries.filter((entry) => !present.has(normalise(entry)));
    if (missing.length === 0) return { added: [] };
    const separator = text === '' ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    // At the end of the bytes read (not of the decoded text, whose length differs for invalid UTF-8).
    await file.handle.write(`${separator}# ${comment}\n${missing.join('\n')}\n`, bytes.length);
    return { added: missing };
  } catch (error) {
    if (isRegularFileRefusal(error)) return { added: [], skipped: skippedBecause(error) };
    throw error;
  } finally {
    await file?.handle.close();
  }
}
