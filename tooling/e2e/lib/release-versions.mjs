/**
 * The packed tarballs numbered as the pending release will number them. Between releases the workspace's
 * versions are the last released ones while the packages' peer ranges already name the core that the pending
 * changesets make (an adapter needing core 1.1 says `^1.1.0` while core's package.json still says 1.0.0), so
 * tarballs packed as they are would not install together. `changeset version` sets the new versions before
 * `changeset publish` packs; this sets the same versions (from `changeset status`) in the packed manifests,
 * and moves a dependency range on a released workspace package from its old version to its new one, as
 * changesets does (`^0.0.0` of keys-jwt becomes `^0.1.0`). Peer ranges are written by hand and stay.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './workspace.mjs';

/** `{ name: newVersion }` for every package the pending changesets release. */
export function releaseVersions() {
  const dir = mkdtempSync(join(tmpdir(), 'phlow-release-versions-'));
  try {
    const file = join(dir, 'status.json');
    execFileSync('pnpm', ['exec', 'changeset', 'status', '--output', file], { cwd: ROOT, stdio: 'pipe' });
    const { releases } = JSON.parse(readFileSync(file, 'utf8'));
    return Object.fromEntries(releases.filter((r) => r.type !== 'none').map((r) => [r.name, r.newVersion]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Rewrites a pnpm-packed tarball's package.json: its `version`, and its dependencies on released workspace
 * packages, to the release's versions.
 * @param {string} tarball
 * @param {Record<string, string>} versions the release's versions, by package name
 * @param {Record<string, string>} current the workspace's versions now, by package name
 */
export function renumberTarball(tarball, versions, current) {
  const dir = mkdtempSync(join(tmpdir(), 'phlow-renumber-'));
  try {
    execFileSync('tar', ['-xzf', tarball, '-C', dir]);
    const file = join(dir, 'package', 'package.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    let changed = false;
    if (versions[manifest.name] && versions[manifest.name] !== manifest.version) {
      manifest.version = versions[manifest.name];
      changed = true;
    }
    for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
      const moved = versions[name] && String(range).match(/^([\^~]?)(.*)$/);
      if (moved && moved[2] === current[name] && versions[name] !== current[name]) {
        manifest.dependencies[name] = `${moved[1]}${versions[name]}`;
        changed = true;
      }
    }
    if (!changed) return manifest;
    writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    execFileSync('tar', ['-czf', tarball, '-C', dir, 'package']);
    return manifest;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
