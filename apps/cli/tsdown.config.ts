import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { defineConfig } from 'tsdown';

// One executable file: the shebang makes `phlow-keys` runnable from the bin link (tsdown marks a file with a
// shebang executable). The adapters stay external: dependencies load from node_modules, vault/aws at run time.
//
// Chunks. Each ES module a command loads costs a resolve, a read, a compile and a link: with one chunk per
// shared helper, `phlow-keys jwks` loaded eleven of our files, and that, not the code in them, was most of its
// start-up over `--version`. So three groups:
// - `cli.js`: cli.ts and what it imports statically (compile-cache.ts);
// - `base`: main.ts and what it imports statically (argument parsing, help, output): with cli.js, all that
//   `--version` and `--help` load;
// - `commands`: the command table (each command's index.ts: help text and options) and what it imports, all
//   that `--help` adds;
// - `shared`: every other file of src/ that is not private to one command (session, store, ids...), loaded
//   once a command runs;
// - one chunk per command's `run.ts` with the helpers only it uses (rolldown's default splitting).
const SRC = resolve(import.meta.dirname, 'src');

/** main.ts and the files it imports statically (not `import type`, not `import()`), as absolute paths. */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  for (const match of source.matchAll(/^import (?!type )[^;]*? from '(\.[^']+)\.js';/gms)) {
    staticClosure(join(dirname(file), `${match[1]}.ts`), seen);
  }
  return seen;
}

const entry = staticClosure(join(SRC, 'cli.ts'));
const base = staticClosure(join(SRC, 'main.ts'));
const table = staticClosure(join(SRC, 'commands', 'index.ts'));
const commandPrivate = /[\\/]commands[\\/][^\\/]+[\\/](?!index\.ts$)/;

export default defineConfig({
  entry: ['src/cli.ts'],
  format: 'esm',
  platform: 'node',
  target: 'node20',
  dts: false,
  fixedExtension: false,
  banner: { js: '#!/usr/bin/env node' },
  outputOptions: {
    codeSplitting: {
      groups: [
        { name: 'base', test: (id: string) => base.has(id) },
        { name: 'commands', test: (id: string) => table.has(id) && !base.has(id) },
        {
          name: 'shared',
          test: (id: string) =>
            id.startsWith(SRC) &&
            !entry.has(id) &&
            !base.has(id) &&
            !table.has(id) &&
            !commandPrivate.test(id),
        },
      ],
    },
  },
});
