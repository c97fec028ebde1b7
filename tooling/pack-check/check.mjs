#!/usr/bin/env node
// Packs every publishable workspace package (after a build) the way `changeset publish` would, and checks that
// the tarball holds every file its `exports`, `types`, `main` and `bin` name, that no `workspace:` range leaks
// into the published manifest, that @phlow/keys-core has no runtime dependencies, and that adapters
// peer-depend on core with a caret range. It also checks what a registry page and provenance need: the
// LICENSE (the root one, byte for byte) in both the `pnpm pack` tarball and `npm pack --dry-run`'s file list,
// `repository` with the package's directory, `homepage`, `bugs`, `keywords` and the root's `engines`, and
// that no relative link in the packed README points at a file the tarball lacks (broken on the registry page).
// Each package's core range starts at the oldest core it works with: its built files import only names that
// core at the range's floor exports (core-exports.mjs; a peer range is a plain caret, never `workspace:^`,
// which would publish the newest core as the floor). Last, the release plan of the pending changesets
// (`changeset status`): no package may get a major version that no changeset asks for (changesets makes peer
// dependents of a bumped package major unless told not to), and a release of a package the CLI carries built in
// (apps/cli/tsdown.config.ts) comes with a CLI release.
// Prints one line per package and exits non-zero on any problem.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize, relative } from 'node:path';
import { bundledReleaseProblems, cliBundledPackages } from './cli-bundle.mjs';
import { builtCoreExports, CORE_NAME, coreImports, floorOf, recordedCoreExports } from './core-exports.mjs';
import { readmeLinkProblems } from './links.mjs';

const root = join(import.meta.dirname, '..', '..');
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const license = readFileSync(join(root, 'LICENSE'), 'utf8');
const dirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group)).map((name) => join(root, group, name)),
);
const out = mkdtempSync(join(tmpdir(), 'phlow-pack-'));
const problems = [];
const plan = releasePlan();
const coreManifest = JSON.parse(readFileSync(join(root, 'packages', 'keys-core', 'package.json'), 'utf8'));
// The core that `changeset version` is about to make (its exports are those of the built workspace core).
const coreRelease =
  plan?.releases.find((r) => r.name === CORE_NAME && r.type !== 'none')?.newVersion ?? coreManifest.version;
const coreExports = { ...recordedCoreExports(), [coreRelease]: builtCoreExports() };
const coreVersions = Object.keys(coreExports).sort((a, b) =>
  a.localeCompare(b, undefined, { numeric: true }),
);

const paths = (value) =>
  typeof value === 'string'
    ? [value]
    : value && typeof value === 'object'
      ? Object.values(value).flatMap(paths)
      : [];

/** The registry-page fields every published package needs; `directory` lets provenance name the folder. */
function metadataProblems(packed, dir) {
  const found = [];
  const repo = packed.repository;
  if (repo?.url !== rootManifest.repository.url) {
    found.push(`repository.url must be ${rootManifest.repository.url}`);
  }
  if (repo?.directory !== relative(root, dir))
    found.push(`repository.directory must be ${relative(root, dir)}`);
  const base = rootManifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
  if (typeof packed.homepage !== 'string' || !packed.homepage.startsWith(base)) {
    found.push(`homepage must point into ${base}`);
  }
  if (packed.bugs?.url !== rootManifest.bugs.url) found.push(`bugs.url must be ${rootManifest.bugs.url}`);
  if (!Array.isArray(packed.keywords) || packed.keywords.length === 0) found.push('keywords missing');
  // One Node range for the whole repository: the one the README documents and the suite is run on.
  if (packed.engines?.node !== rootManifest.engines.node) {
    found.push(
      `engines.node must be ${rootManifest.engines.node} (the root's), found ${packed.engines?.node}`,
    );
  }
  return found;
}

let checked = 0;
for (const dir of dirs) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  checked++;
  const own = [];
  const before = new Set(readdirSync(out));
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: dir, stdio: 'pipe' });
  const tarball = join(
    out,
    readdirSync(out).find((f) => !before.has(f)),
  );
  const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  const fromTarball = (file) =>
    execFileSync('tar', ['-xzOf', tarball, `package/${file}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const packed = JSON.parse(fromTarball('package.json'));
  const named = [
    ...paths(packed.exports),
    ...paths(packed.types),
    ...paths(packed.main),
    ...paths(packed.bin),
  ]
    .map((p) => normalize(p))
    .filter((p) => !p.includes('*'));
  const missing = named.filter((p) => !listing.includes(p));
  if (missing.length) own.push(`tarball lacks ${missing.join(', ')}`);
  const leaked = Object.entries({ ...packed.dependencies, ...packed.peerDependencies }).filter(([, v]) =>
    String(v).startsWith('workspace:'),
  );
  if (leaked.length) own.push('workspace: ranges in the published manifest');
  // Users get ranges (one copy of jose or the AWS SDK in their app, security fixes without our release); the
  // repository's lockfile pins the exact versions we test.
  const pinned = Object.entries(packed.dependencies ?? {}).filter(([, v]) => /^\d/.test(String(v)));
  if (pinned.length) {
    own.push(
      `exact dependency versions (use a caret range): ${pinned.map(([n, v]) => `${n}@${v}`).join(', ')}`,
    );
  }
  if (manifest.name === '@phlow/keys-core' && Object.keys(packed.dependencies ?? {}).length) {
    own.push('@phlow/keys-core must have no runtime dependencies');
  }
  const corePeer = manifest.peerDependencies?.[CORE_NAME];
  if (manifest.name.startsWith('@phlow/keystore-') && corePeer === undefined) {
    own.push(`peer-depend on ${CORE_NAME}`);
  }
  if (corePeer !== undefined && !/^\^\d+\.\d+\.\d+$/.test(corePeer)) {
    own.push(
      `peer-depend on ${CORE_NAME} with a plain caret range from the oldest core it works with (^X.Y.Z; workspace:^ would publish the newest core as the floor), found ${corePeer}`,
    );
  }
  const floorNote = floorProblems(manifest, listing, fromTarball, own);
  if (!listing.includes('LICENSE')) own.push('pnpm pack tarball lacks LICENSE');
  else if (fromTarball('LICENSE') !== license) own.push('LICENSE differs from the root LICENSE');
  // npm decides the file list on its own (it is what `npm publish` uploads), so ask it too.
  const [npmPack] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' }),
  );
  const npmFiles = npmPack.files.map((f) => f.path);
  const npmMissing = ['LICENSE', 'README.md', 'package.json', ...named].filter((f) => !npmFiles.includes(f));
  if (npmMissing.length) own.push(`npm pack lacks ${npmMissing.join(', ')}`);
  own.push(...metadataProblems(packed, dir));
  if (!listing.includes('README.md')) own.push('tarball lacks README.md');
  else own.push(...readmeLinkProblems(fromTarball('README.md'), listing));
  problems.push(...own.map((p) => `${manifest.name}: ${p}`));
  console.log(
    `${own.length ? 'FAIL' : 'ok  '} ${manifest.name}@${manifest.version}: ${listing.length} files${floorNote}`,
  );
}
rmSync(out, { recursive: true, force: true });
problems.push(...releasePlanProblems(plan));
if (plan) {
  const bundled = cliBundledPackages(readdirSync(join(root, 'apps', 'cli', 'dist')));
  const found = bundledReleaseProblems(bundled, plan);
  console.log(`${found.length ? 'FAIL' : 'ok  '} CLI release: it carries ${bundled.join(', ')}`);
  problems.push(...found);
}
for (const p of problems) console.error(`pack-check: ${p}`);
const failed = new Set(problems.map((p) => p.split(':')[0])).size;
console.log(`pack-check: ${checked - failed} passed, ${failed} failed`);
process.exit(problems.length ? 1 : 0);

/**
 * The range's floor of core must export every name the package's built files import from core. Returns a
 * note for the package's line: the floor and the oldest core (recorded or about to be released) that would do.
 */
function floorProblems(manifest, listing, fromTarball, own) {
  const range = manifest.peerDependencies?.[CORE_NAME] ?? manifest.dependencies?.[CORE_NAME];
  if (range === undefined || manifest.name === CORE_NAME) return '';
  // A workspace: dependency is published as a range from the core released with it.
  const floor = String(range).startsWith('workspace:') ? coreRelease : floorOf(range);
  if (!floor) {
    own.push(`cannot read the floor of its ${CORE_NAME} range ${range}`);
    return '';
  }
  const files = listing
    .filter((f) => /\.(m?js|cjs|d\.c?ts|d\.mts)$/.test(f))
    .map((path) => ({ path, text: fromTarball(path) }));
  const { names, unchecked } = coreImports(files);
  for (const u of unchecked) own.push(`an import of core pack-check cannot check by name: ${u}`);
  const lacking = (version) =>
    Object.entries(names).flatMap(([subpath, list]) =>
      list
        .filter((name) => !coreExports[version]?.[subpath]?.includes(name))
        .map((name) => `${subpath === '.' ? '' : subpath.slice(1)}${subpath === '.' ? '' : ':'}${name}`),
    );
  const oldest = coreVersions.find((v) => lacking(v).length === 0);
  if (!coreExports[floor]) {
    own.push(
      `no export list of core ${floor} (the floor of ${range}): record it (tooling/pack-check/core-exports.mjs) or use a recorded floor${oldest ? ` such as ^${oldest}` : ''}`,
    );
    return '';
  }
  const missing = lacking(floor);
  if (missing.length) {
    own.push(
      `imports ${missing.join(', ')} from ${CORE_NAME}, which core ${floor} (the floor of ${range}) does not export: ${oldest ? `raise the range to ^${oldest}` : 'no recorded or pending core exports them all'}`,
    );
  }
  const count = Object.values(names).flat().length;
  return `; core ${range}: ${count} names imported, ${missing.length ? 'NOT all' : 'all'} exported by ${floor}${oldest && oldest !== floor ? ` (the oldest core with them all: ${oldest})` : ''}`;
}

/** The pending release plan (`changeset status`), or undefined when changesets cannot compute it here. */
function releasePlan() {
  const dir = mkdtempSync(join(tmpdir(), 'phlow-release-plan-'));
  const file = join(dir, 'status.json');
  try {
    execFileSync('pnpm', ['exec', 'changeset', 'status', '--output', file], { cwd: root, stdio: 'pipe' });
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    // Not a failure of the packages: changesets needs the base branch in git to compare with.
    console.log(`pack-check: release plan not checked (${String(error.message).split('\n')[0]})`);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Majors in the pending release plan that no changeset asks for. */
function releasePlanProblems(plan) {
  if (!plan) return [];
  const asked = new Set(
    plan.changesets.flatMap((c) => c.releases.filter((r) => r.type === 'major').map((r) => r.name)),
  );
  const unasked = plan.releases.filter((r) => r.type === 'major' && !asked.has(r.name));
  console.log(
    `${unasked.length ? 'FAIL' : 'ok  '} release plan: ${plan.releases.filter((r) => r.type !== 'none').length} packages to release, ${unasked.length} unasked majors`,
  );
  return unasked.map(
    (r) =>
      `${r.name}: the pending changesets would make it ${r.newVersion} (major) though none asks for it: a peer dependency was bumped; check .changeset/config.json (onlyUpdatePeerDependentsWhenOutOfRange) and its peer range`,
  );
}
