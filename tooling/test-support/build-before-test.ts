// Vitest global setup (see vitest.ts): builds a package's dist/ when it is older than its src/. Tests that run
// child processes import the built package by its name (`turbo run test` builds first anyway; this covers
// `pnpm --filter ... test` and single test files).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir: string): number {
  return Math.max(0, ...readdirSync(dir).map((name) => statSync(join(dir, name)).mtimeMs));
}

/** `project` is the Vitest project being set up: its root is the package directory. */
export default function setup(project: { readonly config: { readonly root: string } }): void {
  const root = project.config.root;
  let built = 0;
  try {
    built = statSync(join(root, 'dist', 'index.js')).mtimeMs;
  } catch {}
  if (built < newestMtime(join(root, 'src'))) {
    execFileSync(join(root, 'node_modules', '.bin', 'tsdown'), { cwd: root, stdio: 'inherit' });
  }
}
