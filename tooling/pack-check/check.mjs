#!/usr/bin/env node
// Packs every publishable workspace package (after a build) the way `changeset publish` would, and checks that
// the tarball holds every file its `exports`, `types`, `main` and `bin` name, that no `workspace:` range leaks
// into the published manifest, that @phlow/keys-core has no runtime dependencies, and that adapters
// peer-depend on core with a caret range. Prints one line per package and exits non-zero on any problem.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const dirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group)).map((name) => join(root, group, name)),
);
const out = mkdtempSync(join(tmpdir(), 'phlow-pack-'));
const problems = [];

const paths = (value) =>
  typeof value === 'string'
    ? [value]
    : value && typeof value === 'object'
      ? Object.values(value).flatMap(paths)
      : [];

let checked = 0;
for (const dir of dirs) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  checked++;
  const before = new Set(readdirSync(out));
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: dir, stdio: 'pipe' });
  const tarball = readdirSync(out).find((f) => !before.has(f));
  const listing = execFileSync('tar', ['-tzf', join(out, tarball)], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  const packed = JSON.parse(
    execFileSync('tar', ['-xzOf', join(out, tarball), 'package/package.json'], { encoding: 'utf8' }),
  );
  const named = [
    ...paths(packed.exports),
    ...paths(packed.types),
    ...paths(packed.main),
    ...paths(packed.bin),
  ]
    .map((p) => p.replace(/^\.\//, ''))
    .filter((p) => !p.includes('*'));
  const missing = named.filter((p) => !listing.includes(p));
  if (missing.length) problems.push(`${manifest.name}: tarball lacks ${missing.join(', ')}`);
  const leaked = Object.entries({ ...packed.dependencies, ...packed.peerDependencies }).filter(([, v]) =>
    String(v).startsWith('workspace:'),
  );
  if (leaked.length) problems.push(`${manifest.name}: workspace: ranges in the published manifest`);
  if (manifest.name === '@phlow/keys-core' && Object.keys(packed.dependencies ?? {}).length) {
    problems.push('@phlow/keys-core must have no runtime dependencies');
  }
  const corePeer = packed.peerDependencies?.['@phlow/keys-core'];
  if (manifest.name.startsWith('@phlow/keystore-') && !String(corePeer).startsWith('^')) {
    problems.push(`${manifest.name}: peer-depend on @phlow/keys-core with a caret range, found ${corePeer}`);
  }
  console.log(
    `${missing.length ? 'FAIL' : 'ok  '} ${manifest.name}@${manifest.version}: ${listing.length} files`,
  );
}
rmSync(out, { recursive: true, force: true });
for (const p of problems) console.error(`pack-check: ${p}`);
console.log(
  `pack-check: ${checked - new Set(problems.map((p) => p.split(':')[0])).size} passed, ${new Set(problems.map((p) => p.split(':')[0])).size} failed`,
);
process.exit(problems.length ? 1 : 0);
