/**
 * The audit line formatter's caches (line shapes, the time of the last millisecond, durations written from
 * whole microseconds) against a straightforward reference: the event's fields in the line order through
 * JSON.stringify, then control and bidi characters escaped. Same bytes, whatever the values and whatever
 * was formatted before.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendAuditLine, isoTime, lineShapeCount, MAX_LINE_SHAPES } from '../src/audit.js';
import { LineBatch, writeLines } from '../src/audit-write.js';
import { auditLine, escapeControlCharacters, type KeyAuditEvent } from '../src/index.js';

const ORDER = [
  'time',
  'operation',
  'outcome',
  'storeType',
  'keyId',
  'kid',
  'version',
  'errorCode',
  'durationMs',
  'source',
  'caller',
  'private',
  'valid',
  'rotation',
  'messageSha256',
  'tool',
  'targetStoreType',
] as const;

// Every field of an audit event is in ORDER (or is `type`, which lines leave out): a field added to
// KeyAuditEvent fails the type check here until the line format, this reference and the line shapes' comparison
// (audit.ts `sameShape`) say where it goes.
const everyFieldListed: Exclude<keyof KeyAuditEvent, (typeof ORDER)[number] | 'type'> extends never
  ? true
  : false = true;
void everyFieldListed;

/** What a line must be: the known fields in order, as JSON.stringify writes them, control characters escaped. */
function reference(event: KeyAuditEvent): string {
  const ordered: Record<string, unknown> = {};
  for (const name of ORDER) ordered[name] = event[name];
  return `${escapeControlCharacters(JSON.stringify(ordered))}\n`;
}

const HOSTILE =
  '\u001b[31mred\r\n\t\u0007\u007f\u009b2J\u0085\u2028\u2029\u202a\u202e\u2066\u2069\u200e\u200f\u061c';

const base: KeyAuditEvent = {
  type: 'audit',
  time: '2026-12-07T16:00:00.123Z',
  operation: 'sign',
  outcome: 'success',
  storeType: 'memory',
  keyId: 'agent-1',
  kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
  version: '3',
  durationMs: 0.042,
  source: 'cache',
};

/** A small deterministic generator, so a failure names the same corpus every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('audit line formatter', () => {
  it('writes what the reference formatter writes for a corpus of hostile values, cached or not', () => {
    const strings = [
      'plain',
      '',
      'a"b\\c',
      `x${HOSTILE}`,
      'é and 😀',
      'lone \ud800 surrogate \udc00',
      '{"x":1}',
      '\u2028',
    ];
    const fields = [
      'time',
      'storeType',
      'keyId',
      'kid',
      'version',
      'errorCode',
      'caller',
      'messageSha256',
      'tool',
      'targetStoreType',
    ] as const;
    const next = random(22);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    for (let i = 0; i < 3000; i++) {
      const event: Record<string, unknown> = { ...base };
      for (const name of fields) if (next() < 0.3) event[name] = next() < 0.2 ? undefined : pick(strings);
      if (next() < 0.3) event.operation = pick(['sign', 'verify', 'rotate', 'read']);
      if (next() < 0.3) event.outcome = pick(['success', 'failure', 'denied']);
      if (next() < 0.2) event.source = pick(['cache', 'store', undefined]);
      if (next() < 0.2) event.private = pick([true, false, undefined]);
      if (next() < 0.2) event.valid = pick([true, false, undefined]);
      if (next() < 0.2) event.rotation = pick(['staged', 'activated', 'emergency', undefined]);
      if (next() < 0.3) event.durationMs = Math.round(next() * 5000) / 1000;
      if (next() < 0.1) event.messageSha256 = 'ab'.repeat(32);
      const e = event as unknown as KeyAuditEvent;
      const want = reference(e);
      expect(auditLine(e)).toBe(want);
      expect(auditLine(e)).toBe(want); // the second time from the caches
      expect(JSON.parse(auditLine(e))).toEqual(JSON.parse(want));
      // The sink's path: the same bytes, copied from the shape's UTF-8.
      const batch = new LineBatch();
      appendAuditLine(e, batch);
      appendAuditLine(e, batch);
      expect(batch.buffer.toString('utf8', 1, batch.end)).toBe(want + want);
      expect(batch.ends).toEqual([1 + Buffer.byteLength(want), 1 + 2 * Buffer.byteLength(want)]);
    }
  });

  it('never leaves a control or bidi character raw, from a cached shape too', () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
    const raw = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
    const hostile = {
      ...base,
      keyId: `k${HOSTILE}`,
      kid: `"${HOSTILE}`,
      caller: `c"\\${HOSTILE}`,
      errorCode: HOSTILE,
    };
    for (let i = 0; i < 3; i++) {
      const line = auditLine(hostile);
      expect(line.slice(0, -1)).not.toMatch(raw);
      expect(line).toBe(reference(hostile));
      expect(JSON.parse(line).caller).toBe(hostile.caller);
    }
  });

  it('writes a duration as String() does, whichever number it is', () => {
    const next = random(7);
    const durations = [0, -0, 0.001, 0.01, 0.1, 0.5, 1, 0.1 + 0.2, 1.005, 999.999, 1000, 123.4567];
    durations.push(1e9 - 0.001, 1e9, 1e12 + 0.5, 1e21, 5e-7, -1.5, -0.001, Number.MAX_SAFE_INTEGER);
    durations.push(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE);
    for (let k = 0; k < 20_000; k++) durations.push(k / 1000);
    for (let i = 0; i < 20_000; i++) {
      durations.push(Math.round(next() * 1e12) / 1000, Math.round(next() * 1e15) / 1000, next() * 100);
    }
    const wrong = durations.filter((durationMs) => {
      const e = { ...base, durationMs };
      return auditLine(e) !== reference(e);
    });
    expect(wrong).toEqual([]);
  });

  it('writes events without a time or a duration member by member, the first without a comma', () => {
    const { time: _time, ...noTime } = base;
    const { durationMs: _d, ...noDuration } = base;
    for (const e of [noTime, noDuration, { ...base, time: 1 }, { ...base, durationMs: '1' }]) {
      const event = e as unknown as KeyAuditEvent;
      const line = auditLine(event);
      expect(line.startsWith('{"')).toBe(true);
      expect(line).toBe(reference(event));
    }
  });

  it('remembers a bounded number of line shapes, and a flood of callers does not grow it', () => {
    for (let i = 0; i < 5000; i++) {
      const e = { ...base, caller: `request-${i}` };
      expect(auditLine(e)).toBe(reference(e));
    }
    expect(lineShapeCount()).toBeLessThanOrEqual(MAX_LINE_SHAPES);
    // Shapes too long to remember are written all the same.
    const long = { ...base, caller: 'c'.repeat(2000), tool: 't'.repeat(1000) };
    expect(auditLine(long)).toBe(reference(long));
    expect(lineShapeCount()).toBeLessThanOrEqual(MAX_LINE_SHAPES);
  });

  it('keeps two keys used in turn apart', () => {
    const a = { ...base, keyId: 'a', kid: 'kid-a' };
    const b = { ...base, keyId: 'b', kid: 'kid-b', operation: 'verify' as const, valid: false };
    for (let i = 0; i < 10; i++) {
      const e = i % 2 === 0 ? a : b;
      expect(auditLine(e)).toBe(reference(e));
    }
  });

  it('bounds a line on the sink path too', () => {
    const batch = new LineBatch();
    const huge = { ...base, caller: 'é'.repeat(1500) }; // 3,000 bytes of caller, 1,500 characters
    appendAuditLine(huge, batch);
    appendAuditLine({ ...base, storeType: 'x'.repeat(5000) }, batch);
    const [first, second] = batch.buffer.toString('utf8', 1, batch.end).split('\n');
    expect(`${first}\n`).toBe(reference(huge));
    expect(JSON.parse(second!)).toMatchObject({ operation: 'sign', truncated: true });
  });
});

describe('audit time', () => {
  it('is new Date(ms).toISOString() for every millisecond, across seconds, days and years', () => {
    const next = random(3);
    const times: number[] = [];
    const start = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
    for (let ms = start; ms < start + 3000; ms++) times.push(ms, ms); // in order, each twice
    for (let i = 0; i < 2000; i++) times.push(Math.floor(next() * 4e12), start + Math.floor(next() * 2000));
    times.push(0, 999, 1000, -1, -1000, -1001, 1.5, 1000.5, 999.999, -0, 253402300799999, 253402300800000);
    times.push(8.64e15, -8.64e15, start, start + 0.25, start, start + 1);
    const wrong = times.filter((ms) => isoTime(ms) !== new Date(ms).toISOString());
    expect(wrong).toEqual([]);
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });

  it('is copied into a sink line as auditLine writes it, whichever time came last', () => {
    const t = Date.UTC(2026, 11, 7, 16, 0, 0, 0);
    const batch = new LineBatch();
    const want: string[] = [];
    const stale = { ...base, time: isoTime(t + 5) }; // formatted before the next times
    for (const ms of [t, t + 7, t + 999, t + 1000, t + 1000]) {
      const e = { ...base, time: isoTime(ms) };
      appendAuditLine(e, batch);
      appendAuditLine(stale, batch);
      want.push(reference(e), reference(stale));
    }
    expect(batch.buffer.toString('utf8', 1, batch.end)).toBe(want.join(''));
  });
});

describe('line batch', () => {
  const text = (b: LineBatch) => b.buffer.toString('utf8', 1, b.end);
  it('keeps lines in order as UTF-8 with where each ends, through unshift, shift and pop', () => {
    const b = new LineBatch();
    b.push('a\n');
    b.push('é😀\n');
    b.unshift('first\n');
    expect(text(b)).toBe('first\na\né😀\n');
    expect(b.count).toBe(3);
    expect(b.ends.map((end, k) => b.buffer.toString('utf8', b.start(k), end))).toEqual([
      'first\n',
      'a\n',
      'é😀\n',
    ]);
    b.shift(2);
    expect(text(b)).toBe('é😀\n');
    expect(b.ends).toEqual([1 + Buffer.byteLength('é😀\n')]);
    b.pop();
    expect(b.count).toBe(0);
    expect(b.bytes).toBe(0);
    expect(b.buffer[0]).toBe(0x0a);
  });

  it('grows past its first buffer without losing a byte', () => {
    const b = new LineBatch();
    const lines = Array.from({ length: 3000 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(i % 50)}é"}\n`);
    for (const line of lines) b.push(line);
    expect(text(b)).toBe(lines.join(''));
    b.shift(1000);
    expect(text(b)).toBe(lines.slice(1000).join(''));
  });

  it('writes whole lines per chunk, and a newline first after a torn write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phlow-line-batch-'));
    try {
      const path = join(dir, 'out');
      const fd = openSync(path, 'w');
      const b = new LineBatch();
      for (const line of ['one\n', 'two two\n', 'three three three\n']) b.push(line);
      const torn = { value: true };
      expect(writeLines(fd, b, 12, torn)).toEqual({ done: 3 });
      expect(torn.value).toBe(false);
      closeSync(fd);
      expect(readFileSync(path, 'utf8')).toBe('\none\ntwo two\nthree three three\n');
      // A closed descriptor: nothing written, nothing torn.
      expect(writeLines(fd, b, Number.POSITIVE_INFINITY, torn)).toMatchObject({ done: 0, error: 'EBADF' });
      expect(torn.value).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
