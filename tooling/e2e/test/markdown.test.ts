/** The README extractor: fences, languages and the markers that say why a block is not run. */
import { describe, expect, it } from 'vitest';
import { classify, extractBlocks } from '../lib/markdown.mjs';

const md = (...lines: string[]) => lines.join('\n');

describe('extractBlocks', () => {
  it('returns each fenced block with its language, first line and code', () => {
    const blocks = extractBlocks(
      md('# T', '', '```ts', 'const a = 1;', '```', 'text', '~~~bash', 'echo hi', '~~~'),
    );
    expect(blocks).toEqual([
      { line: 3, lang: 'ts', code: 'const a = 1;\n', marker: null },
      { line: 7, lang: 'bash', code: 'echo hi\n', marker: null },
    ]);
  });

  it('keeps a shorter fence inside a longer one as code', () => {
    const [block] = extractBlocks(md('````md', '```ts', 'x', '```', '````'));
    expect(block?.code).toBe('```ts\nx\n```\n');
  });

  it('reads the marker written right before the block, across blank lines', () => {
    const blocks = extractBlocks(
      md(
        '<!-- not-run: needs real AWS -->',
        '',
        '```ts',
        'x',
        '```',
        '<!-- run: once-per-directory: init refuses to overwrite -->',
        '```bash',
        'y',
        '```',
      ),
    );
    expect(blocks.map((b) => b.marker)).toEqual([
      { kind: 'not-run', reason: 'needs real AWS' },
      { kind: 'run', reason: 'init refuses to overwrite' },
    ]);
    expect(blocks.map(classify)).toEqual(['not-run', 'once-shell']);
  });

  it('ignores a marker separated from the block by text', () => {
    const [block] = extractBlocks(md('<!-- not-run: x -->', 'Some prose.', '```ts', 'x', '```'));
    expect(block?.marker).toBeNull();
  });

  it('rejects markers without a reason, unknown markers and unclosed blocks', () => {
    expect(() => extractBlocks(md('<!-- not-run: -->', '```ts', 'x', '```'))).toThrow(/must say why/);
    expect(() => extractBlocks(md('<!-- skip: x -->', '```ts', 'x', '```'))).toThrow(/unknown marker "skip"/);
    expect(() => extractBlocks(md('<!-- run: twice -->', '```ts', 'x', '```'))).toThrow(/once-per-directory/);
    expect(() => extractBlocks(md('```ts', 'x'))).toThrow(/line 1: code block is never closed/);
  });
});

describe('classify', () => {
  const block = (lang: string) => ({ line: 9, lang, code: '', marker: null });
  it('runs ts/js with node, bash/sh with bash, and lists data blocks', () => {
    expect(['ts', 'js', 'bash', 'sh', 'jsonc', 'hcl', 'text'].map((l) => classify(block(l)))).toEqual([
      'node',
      'node',
      'shell',
      'shell',
      'data',
      'data',
      'data',
    ]);
  });
  it('refuses an untagged or unknown block instead of leaving it out silently', () => {
    expect(() => classify(block(''))).toThrow(/line 9: code block language "" is unknown/);
    expect(() => classify(block('python'))).toThrow(/"python" is unknown/);
  });
});
