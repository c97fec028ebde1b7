#!/usr/bin/env node
/**
 * Installs the Node versions of versions.json from the npm registry (the `node` package ships the official
 * binary) into ${XDG_CACHE_HOME:-~/.cache}/phlow-keys/node-<version>/, once; later runs reuse the cache. Each
 * version is installed into a fresh directory and renamed into place, so two runs at once never see half an
 * install. Prints the path of each node binary, one a line. Exported for run.mjs as `installNodes()`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const CACHE = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'phlow-keys');
export const VERSIONS = JSON.parse(readFileSync(join(import.meta.dirname, 'versions.json'), 'utf8')).versions;

/** The node binary of `version`, installing it first if the cache lacks it. */
export function installNode(version) {
  const dir = join(CACHE, `node-${version}`);
  const bin = join(dir, 'node_modules', '.bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(CACHE, { recursive: true });
  const staging = mkdtempSync(join(CACHE, `.node-${version}-`));
  try {
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        staging,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        `node@${version}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 },
    );
    const reported = execFileSync(join(staging, 'node_modules', '.bin', 'node'), ['--version'], {
      encoding: 'utf8',
    });
    if (reported.trim() !== `v${version}`) throw new Error(`node@${version} installed ${reported.trim()}`);
    try {
      renameSync(staging, dir);
    } catch (e) {
      // Another run put it in place first; use theirs.
      if (!existsSync(bin)) throw e;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return bin;
}

export const installNodes = () => VERSIONS.map(installNode);

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const bin of installNodes()) console.log(bin);
}
