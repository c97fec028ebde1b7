#!/usr/bin/env node
/**
 * `pnpm test`: lint, then every package's type check and test task through turbo (two at a time, every task run
 * even after one fails, so one run names every failure; a task whose
 * declared inputs are unchanged since a passing run is replayed from turbo's cache), then the package check,
 * then the spawn audit: every command a test started by name must be on the machine image or installed by a
 * tooling/services script (see provisioned.mjs). All on the machine's Node; `pnpm test:node-versions` runs the
 * test tasks on the other Node lines. Stops at the first failing step; prints each step's time and the total.
 *
 * Usage: node tooling/test-run/run.mjs [extra turbo arguments, e.g. --force or --concurrency=1]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { allowedCommands, installedByScripts, ROOT, unprovisioned } from './provisioned.mjs';

const started = Date.now();
const logDir = mkdtempSync(join(tmpdir(), 'phlow-spawn-audit-'));
const log = join(logDir, 'spawned.tsv');
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  // turbo.json hashes it: a result cached on one Node line is never replayed for another.
  PHLOW_TEST_NODE_VERSION: process.version,
  PHLOW_SPAWN_LOG: log,
  NODE_OPTIONS:
    `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(join(import.meta.dirname, 'spawn-audit.mjs'))}`.trim(),
};
const bin = (name) => join(ROOT, 'node_modules', '.bin', name);
const seconds = (ms) => `${Math.round(ms / 1000)} s`;

const steps = [
  ['lint (biome)', () => exec(bin('biome'), ['check', '.'])],
  [
    `type checks and tests on Node ${process.version} (turbo)`,
    () =>
      exec(bin('turbo'), [
        'run',
        'typecheck',
        'test',
        '--concurrency=2',
        '--continue',
        ...process.argv.slice(2),
      ]),
  ],
  ['package check', () => exec(process.execPath, [join(ROOT, 'tooling', 'pack-check', 'check.mjs')])],
  ['spawn audit', audit],
];

function exec(command, args) {
  const { status, signal } = spawnSync(command, args, { cwd: ROOT, env, stdio: 'inherit' });
  return status === 0 ? true : `exit ${status ?? signal}`;
}

function audit() {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    // Every task came from turbo's cache: nothing was started this run.
  }
  const missing = unprovisioned(text, allowedCommands());
  const started = new Set(
    text
      .split('\n')
      .map((l) => l.split('\t')[0])
      .filter(Boolean),
  );
  console.log(
    `spawn audit: tests started ${started.size} commands by name (${[...started].sort().join(', ') || 'none: all cached'})`,
  );
  console.log(
    `spawn audit: installed by tooling/services: ${[
      ...new Set(installedByScripts().map((c) => `${c.name} (${c.script})`)),
    ].join(', ')}`,
  );
  for (const { name, dirs } of missing) {
    console.error(
      `spawn audit: ${name} is started by the tests in ${dirs.join(', ')} but neither the machine image (tooling/test-run/machine-image.txt) nor a tooling/services/*/install.sh provides it: add an install script, or skip that check visibly where it cannot be installed`,
    );
  }
  return missing.length === 0 ? true : `${missing.length} unprovisioned command(s)`;
}

const results = [];
for (const [name, body] of steps) {
  console.log(`\n=== pnpm test: ${name}`);
  const stepStart = Date.now();
  const outcome = body();
  results.push({ name, outcome, ms: Date.now() - stepStart });
  if (outcome !== true) break;
}
rmSync(logDir, { recursive: true, force: true });
console.log('');
for (const { name, outcome, ms } of results) {
  console.log(
    `pnpm test: ${outcome === true ? 'ok  ' : 'FAIL'} ${name}: ${seconds(ms)}${outcome === true ? '' : ` (${outcome})`}`,
  );
}
const failed = results.filter((r) => r.outcome !== true).length;
console.log(`pnpm test: ${seconds(Date.now() - started)} in all on Node ${process.version}`);
console.log(
  `test-run: ${results.length - failed} passed, ${failed} failed, ${steps.length - results.length} skipped`,
);
process.exit(failed ? 1 : 0);
