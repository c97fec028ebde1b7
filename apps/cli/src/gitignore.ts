/**
 * Adds lines to a .gitignore, creating it if needed, without repeating a line already there: running
 * `init` twice, or in a project that already ignores `.phlow/`, leaves the file as it was.
 */
import { readFile, writeFile } from 'node:fs/promises';

/** Patterns git treats alike for our purpose: `.phlow`, `.phlow/`, `/.phlow`, `/.phlow/`. */
const normalise = (line: string) => line.trim().replace(/^\//, '').replace(/\/$/, '');

/** Returns the entries that were added (none when all were present). */
export async function ensureIgnored(
  path: string,
  entries: readonly string[],
  comment: string,
): Promise<string[]> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  const present = new Set(text.split(/\r?\n/).map(normalise));
  const missing = entries.filter((entry) => !present.has(normalise(entry)));
  if (missing.length === 0) return [];
  const separator = text === '' ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  await writeFile(path, `${text}${separator}# ${comment}\n${missing.join('\n')}\n`);
  return missing;
}
