/**
 * Runs the README's example adapter and its conformance test exactly as printed: both code blocks are
 * extracted from README.md (not copied), written out, and imported, so the README cannot drift from a store
 * that passes the suite.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyStoreProvider } from '@phlow/keys-core';
import { expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The ```ts block whose first line is `// <name>`. */
function block(name: string): string {
  const start = readme.indexOf(`\`\`\`ts\n// ${name}\n`);
  if (start === -1) throw new Error(`README.md has no \`\`\`ts block starting with "// ${name}"`);
  const body = readme.indexOf('\n', start) + 1;
  return readme.slice(body, readme.indexOf('\n```', body) + 1);
}

// The usage block imports '../map-key-store.js' from test/conformance.test.ts: keep that layout.
const out = join(root, 'test', '.generated');
mkdirSync(join(out, 'test'), { recursive: true });
writeFileSync(join(out, 'map-key-store.ts'), block('map-key-store.ts'));
// Not named *.test.ts, so vitest does not collect it a second time on its own.
writeFileSync(join(out, 'test', 'conformance-usage.ts'), block('test/conformance.test.ts'));

// Paths in variables: the files do not exist before this test runs, so the type checker must not look for them.
const example = (await import(join(out, 'map-key-store.ts'))) as {
  default: KeyStoreProvider;
};
// Importing the usage block declares the conformance suite on the example, as in the adapter's own repo.
await import(join(out, 'test', 'conformance-usage.ts'));

it('the example default-exports a provider the resolver accepts', async () => {
  expect(example.default).toMatchObject({ type: 'map', contractVersion: expect.stringMatching(/^1\./) });
  expect((await example.default.create()).type).toBe('map');
});
