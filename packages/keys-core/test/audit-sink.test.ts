/**
 * The JSON-lines audit sink's own rules, in process: the target (case, stdout, hard links), escaping of
 * control and bidi characters in every field, the refused-token bound (counted by lines, with an injected
 * clock for the minute), and fail-closed. What only a process shows (a closed stderr pipe, a full disk, a
 * torn write) is in audit-sink-processes.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  auditCaller,
  auditLine,
  auditSinkFromEnv,
  auditTarget,
  createJsonLinesAuditSink,
  createMemoryKeyStore,
  escapeControlCharacters,
  type KeyAuditEvent,
  KeyManager,
  type KeyManagerEvent,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'phlow-audit-sink-'));
afterAll(() => execFileSync('rm', ['-rf', dir]));
let n = 0;
const logPath = () => join(dir, `audit-${++n}.log`);
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);
const records = (path: string) => lines(path).map((l) => JSON.parse(l) as Record<string, unknown>);

const event: KeyAuditEvent = {
  type: 'audit',
  time: '2026-12-07T10:00:00.000Z',
  operation: 'sign',
  outcome: 'success',
  storeType: 'memory',
  keyId: 'a',
  durationMs: 1,
};
const refusal = (errorCode = 'SIGNATURE_INVALID', caller?: string): KeyAuditEvent => ({
  ...event,
  operation: 'verify',
  valid: false,
  errorCode,
  ...(caller ? { caller } : {}),
});

/** Every character a terminal acts on: C0 (ESC, CR, BEL), DEL, C1 (CSI U+009B, NEL), LS/PS and bidi. */
const HOSTILE =
  '\u001b[31mred\r\u0007\u007f\u009b2J\u0085\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c';
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const RAW = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('target', () => {
  it('matches stderr in any case, refuses stdout, and creates no file named after either', () => {
    for (const name of ['stderr', 'STDERR', ' Stderr ']) expect(auditTarget(name)).toBe('stderr');
    for (const name of ['stdout', 'STDOUT', '-', '/dev/stdout']) {
      expect(() => auditTarget(name)).toThrow(
        expect.objectContaining({
          code: 'INVALID_CONFIG',
          message: expect.stringMatching(/stdout is refused/),
        }),
      );
      expect(
        () => new KeyManager({ store: createMemoryKeyStore(), env: { PHLOW_KEY_AUDIT_LOG: name } }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
    const keys = new KeyManager({ store: createMemoryKeyStore(), env: { PHLOW_KEY_AUDIT_LOG: 'STDERR' } });
    expect(keys.auditStats?.target).toBe('stderr');
    expect(auditSinkFromEnv({ PHLOW_KEY_AUDIT_LOG: 'stderr' })).toBe(
      auditSinkFromEnv({ PHLOW_KEY_AUDIT_LOG: 'StdErr' }),
    );
  });

  it('refuses a log file with a second hard link, under either name', () => {
    const path = logPath();
    writeFileSync(path, '', { mode: 0o600 });
    const other = join(dir, 'other-name.log');
    linkSync(path, other);
    for (const name of [path, other]) {
      expect(() => createJsonLinesAuditSink(name)).toThrow(/2 hard links/);
    }
  });
});

describe('escaping', () => {
  it('escapes C0, C1 and bidi characters in every string field; the line parses back to the same values', () => {
    const full: KeyAuditEvent = {
      type: 'audit',
      time: `t${HOSTILE}`,
      operation: 'verify' as never,
      outcome: 'success',
      storeType: `s${HOSTILE}`,
      keyId: `k${HOSTILE}`,
      kid: `d${HOSTILE}`,
      version: `v${HOSTILE}`,
      errorCode: `e${HOSTILE}`,
      durationMs: 1,
      source: 'cache',
      caller: `c${HOSTILE}`,
      valid: true,
      messageSha256: `m${HOSTILE}`,
      tool: `t${HOSTILE}`,
      targetStoreType: `x${HOSTILE}`,
    };
    const line = auditLine(full);
    expect(line.slice(0, -1)).not.toMatch(RAW);
    expect(line.endsWith('}\n')).toBe(true);
    const { type: _type, ...fields } = full;
    expect(JSON.parse(line)).toEqual(fields);
    expect(line).toContain('\\u009b');
    expect(line).toContain('\\u202e');
  });

  it('removes them from a caller identity, which has no use for them', () => {
    expect(auditCaller(`svc${HOSTILE}-1`)).toBe('svc[31mred2J-1');
  });

  it('writes them escaped through the sink, summaries included', () => {
    const path = logPath();
    const sink = createJsonLinesAuditSink(path, { refusedPerMinute: 0 });
    sink({ ...event, caller: `x${HOSTILE}` });
    sink(refusal(`CODE${HOSTILE}`));
    sink.close();
    expect(lines(path)).toHaveLength(2);
    for (const line of lines(path)) expect(line).not.toMatch(RAW);
    expect(records(path)[1]).toMatchObject({ errorCode: `CODE${HOSTILE}`, count: 1 });
  });

  it('escapeControlCharacters keeps newlines and tabs only when asked', () => {
    expect(escapeControlCharacters('a\nb\tc\u009b')).toBe('a\\u000ab\\u0009c\\u009b');
    expect(escapeControlCharacters('a\nb\tc\u202e', true)).toBe('a\nb\tc\\u202e');
  });
});

describe('refused-token bound', () => {
  it('writes the budget one by one per minute and counts the rest in one summary line per group', () => {
    const path = logPath();
    let clock = Date.parse('2026-12-07T10:00:00Z');
    const sink = createJsonLinesAuditSink(path, { refusedPerMinute: 5, now: () => clock });
    for (let i = 0; i < 10_000; i++) sink(refusal(i % 2 ? 'SIGNATURE_INVALID' : 'EXPIRED'));
    sink({ ...event }); // accepted work is never bounded
    sink({ ...event, operation: 'verify', valid: true });
    clock += 60_000; // a new minute: its own budget; the first minute's summaries are written
    for (let i = 0; i < 7; i++) sink(refusal('EXPIRED'));
    sink.close();
    const written = records(path);
    const single = written.filter((r) => r.valid === false && r.count === undefined);
    const summaries = written.filter((r) => typeof r.count === 'number');
    expect(single).toHaveLength(10);
    expect(summaries.map((r) => [r.errorCode, r.count])).toEqual([
      ['SIGNATURE_INVALID', 4_998],
      ['EXPIRED', 4_997],
      ['EXPIRED', 2],
    ]);
    expect(summaries[0]).toMatchObject({
      operation: 'verify',
      valid: false,
      since: '2026-12-07T10:00:00.000Z',
    });
    expect(written).toHaveLength(10 + 2 + 3);
    expect(sink.stats()).toMatchObject({ summarized: 9_997, dropped: 0, refusedPerMinute: 5 });
  });

  it('keeps the number of summary lines bounded when every refusal names another caller', () => {
    const path = logPath();
    const sink = createJsonLinesAuditSink(path, { refusedPerMinute: 0, now: () => 0 });
    for (let i = 0; i < 5_000; i++) sink(refusal('NOT_FOUND', `forged-${i}`));
    sink.close();
    const summaries = records(path);
    expect(summaries.length).toBeLessThanOrEqual(32);
    expect(summaries.reduce((sum, r) => sum + (r.count as number), 0)).toBe(5_000);
  });

  it('reads its budget from PHLOW_KEY_AUDIT_REFUSED_PER_MINUTE and refuses a bad one', async () => {
    const path = logPath();
    const keys = new KeyManager({
      store: createMemoryKeyStore(),
      env: { PHLOW_KEY_AUDIT_LOG: path, PHLOW_KEY_AUDIT_REFUSED_PER_MINUTE: '3' },
    });
    await keys.generateKeyPair('a');
    const bad = new Uint8Array(64);
    for (let i = 0; i < 40; i++) expect(await keys.verify('a', 'm', bad)).toBe(false);
    expect(keys.auditStats).toMatchObject({ refusedPerMinute: 3 });
    const stats = keys.auditStats!;
    auditSinkFromEnv({ PHLOW_KEY_AUDIT_LOG: path })!.close();
    const written = records(path);
    const single = written.filter((r) => r.operation === 'verify' && r.count === undefined);
    const counted = written.reduce((sum, r) => sum + ((r.count as number | undefined) ?? 0), 0);
    // However the minutes fell: every refusal is a line or counted, and at most 3 lines per minute seen.
    expect(single.length + counted).toBe(40);
    expect(single.length).toBeLessThanOrEqual(3 * Math.max(1, written.length - single.length - 1));
    expect(stats.summarized).toBe(counted);
    expect(
      () =>
        new KeyManager({
          store: createMemoryKeyStore(),
          env: { PHLOW_KEY_AUDIT_LOG: logPath(), PHLOW_KEY_AUDIT_REFUSED_PER_MINUTE: 'lots' },
        }),
    ).toThrow(/PHLOW_KEY_AUDIT_REFUSED_PER_MINUTE/);
  });
});

describe('fail-closed (PHLOW_KEY_AUDIT_FAIL_CLOSED)', () => {
  it('refuses key operations with AUDIT_UNAVAILABLE once the log cannot be written; fail-open goes on', async () => {
    const path = logPath();
    const events: KeyManagerEvent[] = [];
    const store = createMemoryKeyStore();
    const env = { PHLOW_KEY_AUDIT_LOG: path, PHLOW_KEY_AUDIT_FAIL_CLOSED: 'true' };
    const closed = new KeyManager({ store, env, onEvent: (e) => events.push(e) });
    const open = new KeyManager({ store, env: { PHLOW_KEY_AUDIT_LOG: path }, auditFailClosed: false });
    await closed.generateKeyPair('a');
    // Fail-closed writes each line before the result is returned: it is in the file now.
    expect(records(path).map((r) => r.operation)).toEqual(['generate']);
    await closed.sign('a', 'm');
    expect(records(path)).toHaveLength(2);

    auditSinkFromEnv(env)!.close(); // the log can no longer be written
    const before = events.length;
    await expect(closed.sign('a', 'm')).rejects.toMatchObject({
      name: 'KeyStoreError',
      code: 'AUDIT_UNAVAILABLE',
      message: expect.stringMatching(/result is withheld/),
    });
    // One event for the withheld signature, and the hook hears what the caller got: a failure.
    const withheld = events.slice(before).filter((e) => e.type === 'audit');
    expect(withheld.map((e) => [e.operation, e.outcome, e.errorCode])).toEqual([
      ['sign', 'failure', 'AUDIT_UNAVAILABLE'],
    ]);
    // Code outside KeyManager that records through it is refused the same way.
    expect(() =>
      closed.recordAudit('verify', 'a', performance.now(), { outcome: 'success', valid: true }),
    ).toThrow(expect.objectContaining({ code: 'AUDIT_UNAVAILABLE' }));
    // A write is refused before it runs: the store never sees it.
    await expect(closed.generateKeyPair('b')).rejects.toMatchObject({
      code: 'AUDIT_UNAVAILABLE',
      message: expect.stringMatching(/was not run/),
    });
    expect(await store.getKeyPair?.('b')).toBeNull();
    // Fail-open over the same broken log: operations go on, the lines are counted as lost.
    await expect(open.sign('a', 'm')).resolves.toBeInstanceOf(Uint8Array);
    auditSinkFromEnv(env)!.flush();
    expect(open.auditStats?.dropped).toBeGreaterThanOrEqual(3);
    expect(events.filter((e) => e.type === 'audit-loss')).toEqual([
      { type: 'audit-loss', target: path, lost: 1, errorCode: 'CLOSED' },
    ]);
  });

  it('needs a log to guard and a clear value', () => {
    expect(() => new KeyManager({ store: createMemoryKeyStore(), env: {}, auditFailClosed: true })).toThrow(
      /needs an audit log/,
    );
    expect(
      () =>
        new KeyManager({
          store: createMemoryKeyStore(),
          env: { PHLOW_KEY_AUDIT_LOG: logPath(), PHLOW_KEY_AUDIT_FAIL_CLOSED: 'yes please' },
        }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
