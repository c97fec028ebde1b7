import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { defineConfig } from 'tsdown';

// One executable file: the shebang makes `phlow-keys` runnable from the bin link (tsdown marks a file with a
// shebang executable).
//
// The CLI carries its own build of the phlow-keys packages it depends on (core, the file and environment
// stores, keys-jwt, keys-a2a, keys-httpsig), minified, with source maps (`--debug` turns them on for stack
// traces). Only jose stays a dependency, and the adapters a user installs next to the CLI (vault, aws,
// pkcs11, anyone's) load at run time with their own copy of core: stores are plain objects and core's errors
// are recognised by name, never by `instanceof`, so two copies work together (tested by the vault, aws and
// planted-adapter tests). Why: each ES module a command loads costs a resolve, a read, a compile and a link,
// and each kilobyte costs a parse; `phlow-keys jwks` loaded 11 files and 440 kB and spent most of its start-up
// over `--version` on that, not on its work (README, "Start-up time").
//
// Chunks. Groups keep what a command line loads to what it uses:
// - `cli.js`: cli.ts and what it imports statically (compile-cache.ts);
// - `base`: main.ts and what it imports statically (argument parsing, help, output): with cli.js, all that
//   `--version` and `--help` load;
// - `commands`: the command table (each command's index.ts: help text and options) and what it imports, all
//   that `--help` adds;
// - `shared`: every other file of src/ that is not private to one command (session, store, ids...), loaded
//   once a command runs;
// - one chunk per bundled package, named after it (`keys-core-<hash>.js`...), so that test/startup.test.ts
//   can prove which command lines load which package;
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
/** The workspace packages the CLI carries (their built files: the workspace links resolve to packages/<name>). */
const BUNDLED = [
  'keys-core',
  'keystore-file',
  'keystore-env',
  'keys-jwt',
  'keys-a2a',
  'keys-httpsig',
] as const;
const PACKAGES = resolve(import.meta.dirname, '..', '..', 'packages');
const inPackage = (name: string) => (id: string) => id.startsWith(join(PACKAGES, name, 'dist'));

export default defineConfig({
  entry: ['src/cli.ts'],
  format: 'esm',
  platform: 'node',
  target: 'node20',
  dts: false,
  noExternal: BUNDLED.map((name) => new RegExp(`^@phlow/${name}(/|$)`)),
  minify: true,
  inputOptions: { preserveEntrySignatures: false },
  sourcemap: true,
  fixedExtension: false,
  banner: { js: '#!/usr/bin/env node' },
  outputOptions: {
    codeSplitting: {
      groups: [
        ...BUNDLED.map((name) => ({ name, test: inPackage(name) })),
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
