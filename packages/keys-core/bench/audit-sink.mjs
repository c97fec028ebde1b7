// The audit sink on the sign hot path (`pnpm bench` runs it after bench/run.mjs's other sections; alone:
// node bench/audit-sink.mjs, after a build). The same Ed25519 key and message signed by a KeyManager without
// auditing (the anchor), one writing every event to a JSON-lines file (PHLOW_KEY_AUDIT_LOG, batched on a
// 50 ms timer), one whose events go to a no-op hook (the cost of building events alone), and one with
// fail-closed (a write per event before the call returns, the named alternative). Two patterns: a server
// that signs once per event-loop turn (each call first yields with setImmediate, as a request handler
// would; goal: the sink costs < 5%) and a tight loop. Rounds are interleaved (off, on, hook, strict, with
// the order rotated) and each round's wall time and process CPU time (process.cpuUsage: the writes
// included) per call are compared with the anchor's in the same round; medians of those ratios are printed.
// Asserts nothing. AUDIT_BENCH_ROUNDS (default 30) and AUDIT_BENCH_CALLS per round (default 400).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatNs, printTarget } from '@phlow/bench';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';

const ROUNDS = Number(process.env.AUDIT_BENCH_ROUNDS ?? 30);
const CALLS = Number(process.env.AUDIT_BENCH_CALLS ?? 400);
const message = new TextEncoder().encode('a token payload of typical size '.repeat(4));
const store = createMemoryKeyStore();
const dir = mkdtempSync(join(tmpdir(), 'phlow-bench-audit-'));
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
try {
  const off = new KeyManager({ store, env: {} });
  await off.generateKeyPair('bench');
  const managers = [
    ['audit off (anchor)', off],
    [
      'audit on (JSON-lines file sink, batched)',
      new KeyManager({ store, env: { PHLOW_KEY_AUDIT_LOG: join(dir, 'audit.log') } }),
    ],
    ['audit events to a no-op hook', new KeyManager({ store, env: {}, onEvent: () => {} })],
    [
      'audit on, fail-closed (a write per event)',
      new KeyManager({
        store,
        env: { PHLOW_KEY_AUDIT_LOG: join(dir, 'strict.log'), PHLOW_KEY_AUDIT_FAIL_CLOSED: 'true' },
      }),
    ],
  ];
  for (const [, m] of managers) await m.sign('bench', message);
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const patterns = [
    [
      'server, one signature per event-loop turn',
      async (m) => {
        for (let i = 0; i < CALLS; i++) {
          await turn();
          await m.sign('bench', message);
        }
      },
    ],
    [
      'tight loop',
      async (m) => {
        for (let i = 0; i < CALLS; i++) await m.sign('bench', message);
      },
    ],
  ];
  const costs = {};
  for (const [pattern, run] of patterns) {
    const time = async (m) => {
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      await run(m);
      const wall = Number(process.hrtime.bigint() - start) / CALLS;
      const used = process.cpuUsage(cpu);
      return { wall, cpu: ((used.user + used.system) * 1000) / CALLS };
    };
    for (const [, m] of managers) await time(m); // warm
    const rows = managers.map(() => ({ wall: [], cpu: [], wallRatio: [], cpuRatio: [] }));
    for (let r = 0; r < ROUNDS; r++) {
      const got = [];
      for (let k = 0; k < managers.length; k++) {
        const i = (k + r) % managers.length;
        got[i] = await time(managers[i][1]);
      }
      got.forEach((g, i) => {
        rows[i].wall.push(g.wall);
        rows[i].cpu.push(g.cpu);
        rows[i].wallRatio.push(g.wall / got[0].wall);
        rows[i].cpuRatio.push(g.cpu / got[0].cpu);
      });
    }
    console.log(
      `\n5. sign with the audit sink off / on: ${pattern} (${ROUNDS} interleaved rounds of ${CALLS})`,
    );
    console.table(
      managers.map(([name], i) => ({
        case: name,
        'time per call': formatNs(median(rows[i].wall)),
        'CPU per call': formatNs(median(rows[i].cpu)),
        'time vs off': i === 0 ? 'anchor' : `${((median(rows[i].wallRatio) - 1) * 100).toFixed(1)}%`,
        'CPU vs off': i === 0 ? 'anchor' : `${((median(rows[i].cpuRatio) - 1) * 100).toFixed(1)}%`,
      })),
    );
    costs[pattern] = { wall: median(rows[1].wallRatio) - 1, cpu: median(rows[1].cpuRatio) - 1 };
  }
  const server = costs['server, one signature per event-loop turn'];
  console.log(
    `Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')} (1 / 5 / 15 min) at the end`,
  );
  printTarget(
    'audit sink costs < 5% (server pattern, time and CPU)',
    server.wall < 0.05 && server.cpu < 0.05,
    `${(server.wall * 100).toFixed(1)}% time, ${(server.cpu * 100).toFixed(1)}% CPU`,
  );
  console.log('audit sink counters:', managers[1][1].auditStats, managers[3][1].auditStats);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
