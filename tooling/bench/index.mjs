// Shared benchmark helpers: one way to time an operation and print a comparison table, used by every
// package's `pnpm bench`. Timings are medians over batches (a batch amortises the timer's own cost, which
// matters below a microsecond). Nothing here asserts a duration: benchmarks report, tests assert behaviour.

/**
 * Times `fn` (sync or async). Each sample runs `batch` calls back to back and records the mean per call.
 * @param {string} name
 * @param {() => unknown} fn
 * @param {{ samples?: number, batch?: number, warmup?: number }} [options]
 */
export async function measure(name, fn, { samples = 50, batch = 1, warmup = 5 } = {}) {
  for (let i = 0; i < warmup * batch; i++) await fn();
  const perCall = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) await fn();
    perCall.push(Number(process.hrtime.bigint() - start) / batch);
  }
  perCall.sort((a, b) => a - b);
  const at = (q) => perCall[Math.min(perCall.length - 1, Math.floor(q * perCall.length))];
  const medianNs = at(0.5);
  return { name, medianNs, p95Ns: at(0.95), opsPerSec: 1e9 / medianNs, samples: samples * batch };
}

/** Formats nanoseconds for a table: 850 ns, 12.3 µs, 4.56 ms. */
export function formatNs(ns) {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/**
 * Prints measured rows as a table, each compared with `baseline` (a row name) so the cost of one option
 * against the named alternative is visible in the same run.
 */
export function printTable(title, rows, { baseline } = {}) {
  const base = rows.find((r) => r.name === baseline);
  console.log(`\n${title}`);
  console.table(
    rows.map((r) => ({
      case: r.name,
      median: formatNs(r.medianNs),
      p95: formatNs(r.p95Ns),
      'ops/s': Math.round(r.opsPerSec).toLocaleString('en-US'),
      ...(base ? { 'vs baseline': `${(r.medianNs / base.medianNs).toFixed(2)}x` } : {}),
    })),
  );
}

/** Prints a target line: what was measured, the target, and whether it was met on this machine, this run. */
export function printTarget(label, met, detail) {
  console.log(`${met ? 'MET ' : 'MISSED'}  ${label}: ${detail}`);
}
