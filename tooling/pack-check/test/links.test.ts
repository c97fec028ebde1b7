/** README link check of pack-check: what is broken on a registry page and what is not. */
import { describe, expect, it } from 'vitest';
import { readmeLinkProblems } from '../links.mjs';

const files = ['README.md', 'LICENSE', 'dist/index.js', 'package.json'];

describe('readmeLinkProblems', () => {
  it('accepts absolute URLs, anchors and files the tarball holds', () => {
    const readme =
      '[a](https://example.com/x) [b](#options) [c](./LICENSE) ![d](dist/index.js) [e](mailto:x@y.z)';
    expect(readmeLinkProblems(readme, files)).toEqual([]);
  });

  it('reports links outside the package or to files it lacks, inline and by reference', () => {
    const readme = '[demo](./demo.sh) and [core](../keys-core/README.md)\n\n[guide]: ../../docs/guide.md\n';
    expect(readmeLinkProblems(readme, files)).toEqual([
      'README links to ./demo.sh, which is not in the package: use an absolute GitHub URL',
      'README links to ../keys-core/README.md, which is not in the package: use an absolute GitHub URL',
      'README links to ../../docs/guide.md, which is not in the package: use an absolute GitHub URL',
    ]);
  });

  it('ignores link-like text inside code blocks and code spans', () => {
    const readme = '```ts\nconst x = a[0](../y);\n```\n`[z](../z)`\n';
    expect(readmeLinkProblems(readme, files)).toEqual([]);
  });
});
