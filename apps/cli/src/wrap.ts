/**
 * Word wrapping for help text, so `--help` reads well in a narrow terminal: lines break between words, never
 * inside one (a long URL or flag stays whole), and continuation lines keep the indent of the column.
 */

/** `text` broken into lines of at most `width` columns (a single longer word gets a line of its own). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.length > 0 ? lines : [''];
}

/** Each paragraph of `text` (separated by newlines) wrapped to `width`. */
export function wrapParagraphs(text: string, width: number): string[] {
  return text.split('\n').flatMap((paragraph) => (paragraph.trim() ? wrapWords(paragraph, width) : ['']));
}
