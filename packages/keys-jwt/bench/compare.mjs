// Side-by-side timing for the keys-jwt benches: each case runs in alternating rounds (a, b, c, a, b, c with
// the order rotated each round) under the same load, `concurrency` calls in flight, as a server handles
// many requests at once. Per case: the median wall time per call (its inverse is the throughput with that
// many in flight) and the median CPU time per call of the whole process (process.cpuUsage, so work handed
// to libuv's thread pool, as WebCrypto does, is counted too), and both as ratios to the first case, the
// anchor. A loaded, shared machine swings by 2x within seconds: only ratios within one run mean anything.
import { formatNs } from '@phlow/bench';

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/**
 * @param {{ name: string, fn: () => unknown }[]} cases the first is the anchor
 * @param {{ batch?: number, samples?: number, concurrency?: number, warmup?: number }} [options]
 */
export async function compare(cases, { batch = 20, samples = 30, concurrency = 8, warmup = 3 } = {}) {
  const round = async (fn) => {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = 0; i < batch; i++) await fn();
      }),
    );
    const wall = Number(process.hrtime.bigint() - start);
    const used = process.cpuUsage(cpu);
    const calls = batch * concurrency;
    return { wall: wall / calls, cpu: ((used.user + used.system) * 1000) / calls };
  };
  for (let i = 0; i < warmup; i++) for (const c of cases) await round(c.fn);
  const walls = cases.map(() => []);
  const cpus = cases.map(() => []);
  const wallRatios = cases.map(() => []);
  const cpuRatios = cases.map(() => []);
  for (let s = 0; s < samples; s++) {
    const order = cases.map((_, i) => (i + s) % cases.length);
    const got = [];
    for (const i of order) got[i] = await round(cases[i].fn);
    got.forEach((r, i) => {
      walls[i].push(r.wall);
      cpus[i].push(r.cpu);
      wallRatios[i].push(r.wall / got[0].wall);
      cpuRatios[i].push(r.cpu / got[0].cpu);
    });
  }
  return cases.map((c, i) => ({
    name: c.name,
    anchor: i === 0,
    wallNs: median(walls[i]),
    cpuNs: median(cpus[i]),
    wallRatio: median(wallRatios[i]),
    cpuRatio: median(cpuRatios[i]),
  }));
}

/**
 * Prints `compare` results as one table: throughput and CPU, each row's ratios to its own comparison's anchor
 * (several comparisons may share a table: each starts with its anchor row).
 */
export function printComparison(title, results, concurrency = 8) {
  console.log(`\n${title}`);
  console.table(
    results.map((r) => ({
      case: r.name,
      [`ops/s (${concurrency} in flight)`]: Math.round(1e9 / r.wallNs).toLocaleString('en-US'),
      'CPU per op': formatNs(r.cpuNs),
      'time vs anchor': r.anchor ? 'anchor' : `${r.wallRatio.toFixed(2)}x`,
      'CPU vs anchor': r.anchor ? 'anchor' : `${r.cpuRatio.toFixed(2)}x`,
    })),
  );
}
