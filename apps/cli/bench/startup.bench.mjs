// CLI start-up benchmark, run with `pnpm bench` (after a build). Prints a table per Node line; asserts nothing.
// Whole `phlow-keys` processes (--version, get, list, jwks, sign) next to a bare `node -e 0`, run in turns
// (A B C ... A B C ...) so a machine that speeds up or slows down affects every command alike; medians.
// CPU time (user + system) is the figure the targets are about: on a shared machine wall time varies more than
// the differences measured. Each child reports its own `process.cpuUsage()` at exit on fd 3 (a preload that
// every case pays alike, `node -e 0` included).
// Targets: `--version` within 30 ms of bare Node start-up; `jwks` within 20 ms of `--version` (issue 21).
// The last case is jwks-floor.mjs: the same work as `jwks` without phlow-keys, the floor any implementation pays.
// Node lines: the machine's, then those of tooling/node-versions (installed there once, as
// `pnpm test:node-versions` does); `STARTUP_BENCH_NODES=self` measures the machine's only.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { printTarget } from '@phlow/bench';

const CLI = resolve(import.meta.dirname, '../dist/cli.js');
const RUNS = Number(process.env.STARTUP_BENCH_RUNS ?? 21);
const cwd = mkdtempSync(join(tmpdir(), 'phlow-cli-bench-'));
const FLOOR = resolve(import.meta.dirname, 'jwks-floor.mjs');
const env = { PATH: process.env.PATH, HOME: cwd, LANG: 'C.UTF-8' };
const REPORT = join(cwd, 'cpu-report.cjs');
writeFileSync(
  REPORT,
  "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(3, String(u.user + u.system)); });\n",
);

async function nodeLines() {
  const lines = [[`Node ${process.versions.node} (this machine's)`, process.execPath]];
  if (process.env.STARTUP_BENCH_NODES === 'self') return lines;
  const { VERSIONS, installNode } = await import('../../../tooling/node-versions/install.mjs');
  for (const version of VERSIONS) lines.push([`Node ${version}`, installNode(version)]);
  return lines;
}

/** { wall, cpu } in ms of one process. */
function run(node, args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(node, ['-r', REPORT, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return { wall, cpu: Number(result.output[3]) / 1000 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  run(process.execPath, [CLI, 'init']);
  run(process.execPath, [CLI, 'generate', 'bench-agent']);
  env.FLOOR_PUBLIC_PEM = spawnSync(process.execPath, [CLI, 'get', 'bench-agent'], {
    cwd,
    env,
    encoding: 'utf8',
  }).stdout;
  const cases = [
    ['node -e 0 (bare Node start-up)', ['-e', '0']],
    ['phlow-keys --version', [CLI, '--version']],
    ['phlow-keys get bench-agent', [CLI, 'get', 'bench-agent']],
    ['phlow-keys list', [CLI, 'list']],
    ['phlow-keys jwks', [CLI, 'jwks']],
    ['phlow-keys sign bench-agent --message hello', [CLI, 'sign', 'bench-agent', '--message', 'hello']],
    ['the work of jwks without phlow-keys (jwks-floor.mjs)', [FLOOR, '.phlow/master.key', '.phlow/keys.enc']],
  ];
  for (const [label, node] of await nodeLines()) {
    for (const [, args] of cases) run(node, args); // warm the file cache (and V8's compile cache, Node 22.1+)
    const cpu = cases.map(() => []);
    const wall = cases.map(() => []);
    for (let i = 0; i < RUNS; i++) {
      for (const [c, [, args]] of cases.entries()) {
        const t = run(node, args);
        cpu[c].push(t.cpu);
        wall[c].push(t.wall);
      }
    }
    const version = median(cpu[1]);
    console.log(
      `\nCLI start-up on ${label}, medians of ${RUNS} runs each in turns (encrypted_file store, raw master key from init)`,
    );
    console.table(
      cases.map(([name], c) => ({
        case: name,
        'CPU ms': median(cpu[c]).toFixed(1),
        'CPU over --version': c < 2 ? '' : `+${(median(cpu[c]) - version).toFixed(1)} ms`,
        'wall ms': median(wall[c]).toFixed(1),
      })),
    );
    const extra = version - median(cpu[0]);
    printTarget(`${label}: --version within 30 ms CPU of bare Node`, extra <= 30, `+${extra.toFixed(1)} ms`);
    const jwks = median(cpu[4]) - version;
    const floor = median(cpu[6]) - version;
    printTarget(
      `${label}: jwks within 20 ms CPU of --version`,
      jwks <= 20,
      `+${jwks.toFixed(1)} ms (the same work without phlow-keys: +${floor.toFixed(1)} ms)`,
    );
  }
} finally {
  rmSync(cwd, { recursive: true, force: true });
}
