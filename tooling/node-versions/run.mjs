#!/usr/bin/env node
/**
 * `pnpm test:node-versions`: runs the workspace's test tasks (`turbo run test`: every package's unit and
 * service tests, the README check and the tarball e2e) once more on each Node version of versions.json,
 * installed by install.mjs. The chosen node comes first on PATH, so vitest, the CLI the tests start and the
 * servers' clients all run on it. `.ci/run` runs this after `pnpm test` (the machine's own node) has passed.
 * PHLOW_TEST_NODE_VERSION is part of turbo's hash of a test task, so a result cached on one Node line is only
 * replayed on that line. Every version runs even if one fails; the exit status is non-zero if any did. Prints
 * each line's time and the total.
 *
 * Usage: node tooling/node-versions/run.mjs [turbo arguments, default: run test --concurrency=2]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { installNode, VERSIONS } from './install.mjs';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * The official Node binaries trust only the CAs compiled into them, while a distribution's Node (the machine's
 * own) trusts the system store. Behind a TLS-inspecting proxy, npm on Node 22/24 would then fail where npm on
 * the system Node succeeds, so those runs get the system bundle as NODE_EXTRA_CA_CERTS unless one is set.
 */
function systemCaBundle() {
  if (process.env.NODE_EXTRA_CA_CERTS) return {};
  const bundle = [
    process.env.SSL_CERT_FILE,
    '/etc/ssl/certs/ca-certificates.crt',
    '/etc/pki/tls/certs/ca-bundle.crt',
    '/etc/ssl/cert.pem',
  ].find((file) => file && existsSync(file));
  return bundle ? { NODE_EXTRA_CA_CERTS: bundle } : {};
}
const args = process.argv.length > 2 ? process.argv.slice(2) : ['run', 'test', '--concurrency=2'];
const startedAll = Date.now();
const results = [];
for (const version of VERSIONS) {
  const bin = installNode(version);
  const env = {
    ...process.env,
    PATH: `${dirname(bin)}:${process.env.PATH}`,
    TURBO_TELEMETRY_DISABLED: '1',
    PHLOW_TEST_NODE_VERSION: `v${version}`,
    ...systemCaBundle(),
  };
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
console.log(`node-versions: ${Math.round((Date.now() - startedAll) / 1000)} s in all`);
const passed = results.filter((r) => r.includes('passed')).length;
console.log(`node-versions: ${passed} passed, ${results.length - passed} failed`);
process.exit(results.every((r) => r.includes('passed')) ? 0 : 1);
