#!/usr/bin/env node
/**
 * Runs the workspace's test tasks (`turbo run test`: every package's unit and service tests, the README check
 * and the tarball e2e) once more on each Node version of versions.json, installed by install.mjs. The chosen
 * node comes first on PATH, so vitest, the CLI the tests start and the servers' clients all run on it. `pnpm
 * test` runs this after the suite has passed on the machine's own node. Every version runs even if one fails;
 * the exit status is non-zero if any did.
 *
 * Usage: node tooling/node-versions/run.mjs [turbo arguments, default: run test --concurrency=1]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { installNode, VERSIONS } from './install.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const args = process.argv.length > 2 ? process.argv.slice(2) : ['run', 'test', '--concurrency=1'];
const results = [];
for (const version of VERSIONS) {
  const bin = installNode(version);
  const env = { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH}`, TURBO_TELEMETRY_DISABLED: '1' };
  const seen = spawnSync('node', ['--version'], { env, encoding: 'utf8' }).stdout.trim();
  console.log(`\n=== Node ${seen}: turbo ${args.join(' ')}`);
  if (seen !== `v${version}`) {
    results.push(`Node ${version}: PATH gave ${seen || 'no node'}`);
    continue;
  }
  const started = Date.now();
  const { status, signal } = spawnSync(join(ROOT, 'node_modules', '.bin', 'turbo'), args, {
    cwd: ROOT,
    env,
    stdio: 'inherit',
  });
  const took = `${Math.round((Date.now() - started) / 1000)} s`;
  results.push(
    status === 0
      ? `Node ${version}: passed (${took})`
      : `Node ${version}: FAILED, exit ${status ?? signal} (${took})`,
  );
}
console.log(`\n${results.map((r) => `node-versions: ${r}`).join('\n')}`);
process.exit(results.every((r) => r.includes('passed')) ? 0 : 1);
