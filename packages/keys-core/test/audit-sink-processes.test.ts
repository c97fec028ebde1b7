/**
 * What the audit sink does to a process when its target fails, in child processes (core's source bundled
 * with esbuild): a stderr whose reader went away (EPIPE) must not kill a signing process, and a full disk (a
 * 64 KiB tmpfs mounted in a user and mount namespace, so nothing outside sees it) loses lines that are
 * counted, reported once on stderr and as one event, recorded in the log when it works again, and never
 * glued to a torn line. Fail-closed on that disk refuses operations instead. Bounded by counts, not time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'phlow-audit-sink-procs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SRC = JSON.stringify(resolve(import.meta.dirname, '../src/index.ts'));

async function bundle(name: string, code: string): Promise<string> {
  const entry = join(dir, `${name}.mjs`);
  writeFileSync(entry, code);
  const out = join(dir, `${name}.bundle.mjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'silent',
  });
  return out;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  closeStderr = false,
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    // The reader of the child's stderr goes away before the child writes anything there.
    if (closeStderr) child.stderr.destroy();
    else child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

const SIGNS = 300;

describe('a stderr reader that goes away (EPIPE)', () => {
  it('does not kill the signing process; every line is counted lost, one loss event', async () => {
    const child = await bundle(
      'epipe',
      `import { createMemoryKeyStore, KeyManager } from ${SRC};
const losses = [];
const keys = new KeyManager({ store: createMemoryKeyStore(), onEvent: (e) => e.type === 'audit-loss' && losses.push(e) });
await keys.generateKeyPair('agent');
let signed = 0;
// The server pattern: one signature per event-loop turn.
for (let i = 0; i < ${SIGNS}; i++) {
  await keys.sign('agent', 'm');
  signed++;
  await new Promise((r) => setImmediate(r));
}
await keys.close();
process.stdout.write(JSON.stringify({ signed, stats: keys.auditStats, losses }));
`,
    );
    const result = await run(process.execPath, [child], { PHLOW_KEY_AUDIT_LOG: 'STDERR' }, true);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.signed).toBe(SIGNS);
    expect(report.stats).toMatchObject({
      target: 'stderr',
      written: 0,
      dropped: SIGNS + 1,
      failing: 'EPIPE',
    });
    expect(report.losses).toEqual([
      { type: 'audit-loss', target: 'stderr', lost: expect.any(Number), errorCode: 'EPIPE' },
    ]);
    expect(report.losses[0].lost).toBeGreaterThan(0);
  }, 300_000);
});

describe('a stderr reader too slow to keep up (a full non-blocking pipe)', () => {
  it('keeps lines for later, then counts what cannot wait: every line arrives or is counted lost', async () => {
    const total = 3_000;
    const child = await bundle(
      'slow',
      `import { writeSync } from 'node:fs';
import { createMemoryKeyStore, KeyManager } from ${SRC};
process.stderr; // as in any application that logs: Node makes the stderr pipe non-blocking
const keys = new KeyManager({ store: createMemoryKeyStore() });
await keys.generateKeyPair('agent');
process.on('exit', () => writeSync(1, JSON.stringify(keys.auditStats)));
for (let i = 0; i < ${total - 1}; i++) {
  await keys.sign('agent', 'm');
  await new Promise((r) => setImmediate(r));
}
`,
    );
    // The reader takes nothing until the child has exited: the pipe (64 KiB) fills up.
    const result = await new Promise<Run>((done, fail) => {
      const proc = spawn(process.execPath, [child], {
        env: { PATH: process.env.PATH ?? '', PHLOW_KEY_AUDIT_LOG: 'stderr' },
      });
      let stdout = '';
      proc.stdout.on('data', (c) => {
        stdout += c;
      });
      proc.on('error', fail);
      proc.on('exit', (code, signal) => {
        let stderr = '';
        proc.stderr.on('data', (c) => {
          stderr += c;
        });
        proc.stderr.on('end', () => done({ code, signal, stdout, stderr }));
      });
    });
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    const stats = JSON.parse(result.stdout);
    const received = result.stderr.split('\n').filter((l) => l.startsWith('{'));
    for (const line of received) expect(JSON.parse(line)).toMatchObject({ operation: expect.any(String) });
    expect(stats.dropped).toBeGreaterThan(0);
    expect(received.length + stats.dropped).toBe(total);
    expect(stats.written).toBe(received.length);
  }, 300_000);
});

const canMount = spawnSync('unshare', ['-rm', 'true']).status === 0;

describe.skipIf(!canMount)('a full disk (64 KiB tmpfs; needs unshare -rm, user namespaces)', () => {
  let result: Run;
  let report: {
    during: { dropped: number; written: number; failing?: string };
    after: { dropped: number; written: number; failing?: string };
    losses: { errorCode: string; lost: number }[];
    log: string;
    closed: {
      signed: number;
      refused: number;
      codes: string[];
      notRun: string;
      stored: boolean;
      log: string;
      afterFree: boolean;
    };
  };
  beforeAll(async () => {
    const child = await bundle(
      'full',
      `import { openSync, readFileSync, truncateSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { auditSinkFromEnv, createMemoryKeyStore, KeyManager } from ${SRC};
const disk = process.argv[2];
const filler = join(disk, 'filler');
/** Fills the disk: writes to the filler until ENOSPC. */
function fill() {
  const fd = openSync(filler, 'a');
  const chunk = Buffer.alloc(1024);
  try { for (;;) writeSync(fd, chunk); } catch (e) { if (e.code !== 'ENOSPC') throw e; } finally { closeSync(fd); }
}
const turn = () => new Promise((r) => setImmediate(r));

// 1. Fail-open (the default): sign through a disk that fills up, then free it and sign again.
const env = { PHLOW_KEY_AUDIT_LOG: join(disk, 'audit.log') };
const losses = [];
const keys = new KeyManager({ store: createMemoryKeyStore(), env, onEvent: (e) => e.type === 'audit-loss' && losses.push(e) });
await keys.generateKeyPair('agent');
fill();
truncateSync(filler, Math.max(0, readFileSync(filler).length - 4096)); // one page left for the log
for (let i = 0; i < 200; i++) { await keys.sign('agent', 'm'); await turn(); }
auditSinkFromEnv(env).flush();
const during = keys.auditStats;
truncateSync(filler, 0);
for (let i = 0; i < 10; i++) { await keys.sign('agent', 'm'); await turn(); }
auditSinkFromEnv(env).flush();
const after = keys.auditStats;
const log = readFileSync(env.PHLOW_KEY_AUDIT_LOG, 'utf8');

// 2. Fail-closed on the same disk, full again.
const env2 = { PHLOW_KEY_AUDIT_LOG: join(disk, 'closed.log'), PHLOW_KEY_AUDIT_FAIL_CLOSED: 'true' };
const store = createMemoryKeyStore();
const strict = new KeyManager({ store, env: env2 });
await strict.generateKeyPair('agent');
fill();
let signed = 0, refused = 0;
const codes = new Set();
for (let i = 0; i < 100; i++) {
  try { await strict.sign('agent', 'm'); signed++; } catch (e) { refused++; codes.add(e.code); }
}
let notRun = '';
try { await strict.generateKeyPair('other'); } catch (e) { notRun = e.code + ': ' + e.message; }
const stored = (await store.getKeyPair('other')) !== null;
truncateSync(filler, 0);
let afterFree = false;
try { await strict.sign('agent', 'm'); signed++; afterFree = true; } catch {}
const closed = { signed, refused, codes: [...codes], notRun, stored, afterFree, log: readFileSync(env2.PHLOW_KEY_AUDIT_LOG, 'utf8') };
process.stdout.write(JSON.stringify({ during, after, losses, log, closed }));
`,
    );
    const disk = join(dir, 'disk');
    mkdirSync(disk);
    result = await run(
      'unshare',
      [
        '-rm',
        'sh',
        '-c',
        'mount -t tmpfs -o size=64k tmpfs "$1" && exec "$2" "$3" "$1"',
        'sh',
        disk,
        process.execPath,
        child,
      ],
      {},
    );
    expect(result.stderr.split('\n').filter((l) => !l.startsWith('[phlow] audit:') && l !== '')).toEqual([]);
    expect(result.code).toBe(0);
    report = JSON.parse(result.stdout);
  }, 300_000);

  it('counts the lost lines, reports them once on stderr and once as an event, and records the gap in the log', () => {
    expect(report.during.dropped).toBeGreaterThan(0);
    expect(report.during.failing).toBe('ENOSPC');
    expect(report.after.failing).toBeUndefined();
    expect(report.after.dropped).toBe(report.during.dropped); // nothing lost once there is room
    expect(report.losses).toEqual([
      expect.objectContaining({ errorCode: 'ENOSPC', lost: expect.any(Number) }),
    ]);
    const reports = result.stderr.split('\n').filter((l) => l.includes('audit.log'));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/cannot be written \(ENOSPC\)/);
  });

  it('never glues a torn line to the next one: every event is a whole line or counted lost', () => {
    const lines = report.log.split('\n');
    expect(lines.pop()).toBe('');
    const parsed: Record<string, unknown>[] = [];
    const fragments: string[] = [];
    for (const line of lines) {
      try {
        parsed.push(JSON.parse(line));
      } catch {
        fragments.push(line);
      }
    }
    const events = parsed.filter((r) => typeof r.operation === 'string');
    const gaps = parsed.filter((r) => r.type === 'audit-loss');
    // 1 generate + 210 signatures: each one is a whole line in the log or one of the lines counted lost.
    expect(events.length + report.after.dropped).toBe(211);
    expect(gaps).toEqual([expect.objectContaining({ lost: report.during.dropped, errorCode: 'ENOSPC' })]);
    // At most the one line cut by the full disk stands alone; it is one of the lost ones.
    if (process.env.DEBUG_AUDIT) console.log(fragments, report.during, report.after, gaps);
    expect(fragments.length).toBeLessThanOrEqual(1);
    for (const fragment of fragments) expect(fragment.startsWith('{"time":"')).toBe(true);
    expect(lines.some((l) => l.includes('}{'))).toBe(false);
  });

  it('fail-closed: refuses signatures whose line cannot be written, and writes before it runs; works again once there is room', () => {
    const c = report.closed;
    expect(c.refused).toBeGreaterThan(0);
    expect(c.codes).toEqual(['AUDIT_UNAVAILABLE']);
    expect(c.notRun).toMatch(/^AUDIT_UNAVAILABLE: .*was not run/);
    expect(c.stored).toBe(false);
    expect(c.afterFree).toBe(true);
    // Every signature that was returned has its whole line in the log.
    const signs = c.log
      .split('\n')
      .filter((l) => {
        try {
          return JSON.parse(l).operation === 'sign';
        } catch {
          return false;
        }
      })
      .map((l) => JSON.parse(l));
    expect(signs.filter((s) => s.outcome === 'success')).toHaveLength(c.signed);
  });
});
