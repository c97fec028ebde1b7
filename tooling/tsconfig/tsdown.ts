// The one build setting every published package shares: ESM for Node 20, declarations, `.js` extensions.
// A package's tsdown.config.ts passes only what differs (extra entries, externals, bundled dependencies).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defineConfig, type UserConfig } from 'tsdown';

/**
 * Beside each `x.d.ts`, an `x.d.cts` with the same declarations and `./y.cjs` specifiers. The packages stay ESM
 * only (Node 20.19+ can `require()` them), but TypeScript reads a `.d.ts` of a `"type": "module"` package as
 * ESM and refuses it to a CommonJS file under `module: node16` (TS1479). The `require` condition of `exports`
 * points at these `.d.cts` copies, so CommonJS projects type-check and get the same runtime file. A type
 * imported from a dependency whose types are ESM only (jose) is imported with `resolution-mode: import`, which
 * a CommonJS declaration file may do for types.
 */
function writeCommonJsTypes(dir: string, packageDir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) writeCommonJsTypes(path, packageDir);
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8')
        .replace(/((?:from|import)\s*\(?\s*)(["'])(\.{1,2}\/[^"']+)\.js\2/g, '$1$2$3.cjs$2')
        .replace(/^import (?:type )?(\{[^}]*\}) from "([^".][^"]*)";$/gm, (line, names, specifier) =>
          esmOnlyTypes(specifier, packageDir)
            ? `import type ${names} from "${specifier}" with { "resolution-mode": "import" };`
            : line,
        );
      writeFileSync(path.replace(/\.d\.ts$/, '.d.cts'), text);
    }
  }
}

/** Whether the package a bare specifier names (found from `from` upwards) has no CommonJS entry point. */
function esmOnlyTypes(specifier: string, from: string): boolean {
  if (specifier.startsWith('node:') || specifier.startsWith('@phlow/')) return false;
  const name = specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
      return pkg.type === 'module' && !JSON.stringify(pkg.exports ?? {}).includes('"require"');
    }
    if (dirname(dir) === dir) return false;
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
      'build:done': ({ options }) => writeCommonJsTypes(options.outDir, options.cwd),
    },
    ...overrides,
  });
}
