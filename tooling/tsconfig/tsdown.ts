// The one build setting every published package shares: ESM for Node 20, declarations, `.js` extensions.
// A package's tsdown.config.ts passes only what differs (extra entries, externals, bundled dependencies).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type UserConfig } from 'tsdown';

/**
 * Beside each `x.d.ts`, an `x.d.cts` with the same declarations and `./y.cjs` specifiers. The packages stay ESM
 * only (Node 20.19+ can `require()` them), but TypeScript reads a `.d.ts` of a `"type": "module"` package as
 * ESM and refuses it to a CommonJS file under `module: node16` (TS1479). The `require` condition of `exports`
 * points at these `.d.cts` copies, so CommonJS projects type-check and get the same runtime file.
 */
function writeCommonJsTypes(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) writeCommonJsTypes(path);
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8').replace(
        /((?:from|import)\s*\(?\s*)(["'])(\.{1,2}\/[^"']+)\.js\2/g,
        '$1$2$3.cjs$2',
      );
      writeFileSync(path.replace(/\.d\.ts$/, '.d.cts'), text);
    }
  }
}

export function packageBuild(overrides: UserConfig = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    dts: true,
    fixedExtension: false,
    hooks: {
      'build:done': ({ options }) => writeCommonJsTypes(options.outDir),
    },
    ...overrides,
  });
}
