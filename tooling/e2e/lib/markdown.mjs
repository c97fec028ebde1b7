/**
 * Finds the fenced code blocks of a Markdown file, with the language of each and the marker comment written
 * right before it (`<!-- not-run: reason -->` or `<!-- run: once-per-directory: reason -->`), so that the
 * README runner executes the text readers copy, not a copy of it that can drift.
 */

/** Languages the runner executes, by how. Anything else must be listed in DATA or is an error. */
export const NODE = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);
export const SHELL = new Set(['bash', 'sh', 'shell']);
/** Blocks that show data or output, not a program: listed, never run. */
export const DATA = new Set(['text', 'json', 'jsonc', 'hcl']);

const MARKER = /^<!--\s*([a-z-]+)\s*:\s*(.*?)\s*-->$/;
const KINDS = new Set(['not-run', 'run']);
/** The only `run:` option: the block sets up state that a second run in the same place refuses, on purpose. */
export const ONCE = 'once-per-directory';

/**
 * @param {string} markdown
 * @returns {{ line: number, lang: string, code: string, marker: { kind: string, reason: string } | null }[]}
 *   `line` is the 1-based line of the opening fence.
 */
export function extractBlocks(markdown) {
  const lines = markdown.split(/\r?\n/);
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      body.push(lines[j]);
    }
    if (j === lines.length) throw new Error(`line ${i + 1}: code block is never closed`);
    blocks.push({
      line: i + 1,
      lang: open[2].toLowerCase(),
      code: `${body.join('\n')}\n`,
      marker: markerBefore(lines, i),
    });
    i = j;
  }
  return blocks;
}

function markerBefore(lines, fenceIndex) {
  let k = fenceIndex - 1;
  while (k >= 0 && lines[k].trim() === '') k--;
  const m = k >= 0 ? MARKER.exec(lines[k].trim()) : null;
  if (!m) return null;
  if (!KINDS.has(m[1])) throw new Error(`line ${k + 1}: unknown marker "${m[1]}" (use not-run or run)`);
  if (!m[2]) throw new Error(`line ${k + 1}: a ${m[1]} marker must say why`);
  if (m[1] === 'run' && !m[2].startsWith(`${ONCE}:`)) {
    throw new Error(`line ${k + 1}: the run marker takes "${ONCE}: reason"`);
  }
  return { kind: m[1], reason: m[1] === 'run' ? m[2].slice(ONCE.length + 1).trim() : m[2] };
}

/**
 * What the runner does with a block: 'node', 'shell', 'once-node', 'once-shell', 'not-run', 'data'.
 * Throws for an untagged or unknown language, so that no block is left out without a word.
 */
export function classify(block) {
  if (block.marker?.kind === 'not-run') return 'not-run';
  const how = NODE.has(block.lang)
    ? 'node'
    : SHELL.has(block.lang)
      ? 'shell'
      : DATA.has(block.lang)
        ? 'data'
        : null;
  if (!how) {
    throw new Error(
      `line ${block.line}: code block language "${block.lang}" is unknown; tag it (${[...NODE, ...SHELL, ...DATA].join(', ')}) or mark it <!-- not-run: reason -->`,
    );
  }
  if (block.marker?.kind === 'run') {
    if (how === 'data')
      throw new Error(`line ${block.line}: a ${block.lang} block is never run; drop the run marker`);
    return `once-${how}`;
  }
  return how;
}

/**
 * The first `lang` block after the heading `heading` (e.g. '## Usage') of a README: how a test picks the
 * snippet a section shows, so that it runs the text readers see.
 */
export function blockUnder(markdown, heading, lang) {
  const at = markdown.split(/\r?\n/).indexOf(heading);
  if (at < 0) throw new Error(`no heading "${heading}"`);
  const block = extractBlocks(markdown).find((b) => b.line > at && b.lang === lang);
  if (!block) throw new Error(`no ${lang} block under "${heading}"`);
  return block.code;
}
