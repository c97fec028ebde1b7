/**
 * readAuditLog in process, on real files: only the newest maxBytes of a log are read (a partial first line not
 * counted, `truncated` said), through core's readRegularFileTailSync: a FIFO with no writer, a directory,
 * /dev/zero and a link to it are refused without blocking, a link to a log is followed, and no message names
 * the path given.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AuditLogSource, readAuditLog } from '../src/commands/audit/audit-log.js';

const dir = mkdtempSync(join(tmpdir(), 'phlow-cli-audit-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (keyId: string) =>
  `${JSON.stringify({ time: '2026-12-07T19:00:00.000Z', operation: 'sign', outcome: 'success', storeType: 'encrypted_file', keyId, caller: 'ops' })}\n`;

function failure(path: string, source?: AuditLogSource): Error & { code?: string } {
  try {
    readAuditLog(path, 1024, source);
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the audit log to be refused');
}

describe('readAuditLog', () => {
  it('reads a log whole when it is within the bound', () => {
    const path = join(dir, 'small.log');
    writeFileSync(path, line('a') + line('b'));
    const read = readAuditLog(path, 1024);
    expect(read.records.map((r) => r.keyId)).toEqual(['a', 'b']);
    expect([read.truncated, read.skipped]).toEqual([false, 0]);
  });

  it('reads only the newest maxBytes of a larger log, without counting the partial first line', () => {
    const path = join(dir, 'large.log');
    const lines = Array.from({ length: 50 }, (_, i) => line(`k${i}`));
    writeFileSync(path, lines.join(''));
    // The last three lines and a part of the one before them.
    const maxBytes = lines[49]!.length * 3 + 10;
    const read = readAuditLog(path, maxBytes);
    expect(read.truncated).toBe(true);
    expect(read.records.map((r) => r.keyId)).toEqual(['k47', 'k48', 'k49']);
    expect(read.skipped).toBe(0);
  });

  it('counts the first line of the newest maxBytes when they start exactly at a line', () => {
    const path = join(dir, 'boundary.log');
    const lines = Array.from({ length: 50 }, (_, i) => line(`k${i}`));
    writeFileSync(path, lines.join(''));
    // Exactly the last three lines: the byte before them is the newline that ends k46.
    const read = readAuditLog(path, lines[49]!.length * 3);
    expect(read.truncated).toBe(true);
    expect(read.records.map((r) => r.keyId)).toEqual(['k47', 'k48', 'k49']);
    // One byte less cuts into k47, which is then not counted.
    expect(readAuditLog(path, lines[49]!.length * 3 - 1).records.map((r) => r.keyId)).toEqual(['k48', 'k49']);
    // A log of exactly maxBytes + 1 is read whole, not truncated.
    const whole = join(dir, 'whole.log');
    writeFileSync(whole, lines.slice(0, 2).join(''));
    const all = readAuditLog(whole, lines[0]!.length * 2 - 1);
    expect([all.truncated, all.records.length]).toEqual([false, 2]);
  });

  it('refuses a FIFO with no writer, a directory, /dev/zero and a link to it, naming no path and where it came from', () => {
    const fifo = join(dir, 'audit.fifo');
    execFileSync('mkfifo', [fifo]);
    const directory = join(dir, 'a-directory');
    mkdirSync(directory);
    const toZero = join(dir, 'zero.log');
    symlinkSync('/dev/zero', toZero);
    for (const [path, kind] of [
      [fifo, 'FIFO'],
      [directory, 'directory'],
      ['/dev/zero', 'device'],
      [toZero, 'device'],
    ] as const) {
      const error = failure(path);
      expect(error.code).toBe('INVALID_CONFIG');
      expect(error.message).toContain(`PHLOW_KEY_AUDIT_LOG names a ${kind}, not a regular file`);
      expect(error.message).not.toContain(path);
      const given = failure(path, 'argument');
      expect(given.name).toBe('UsageError');
      expect(given.message).toContain(`the audit [file] argument names a ${kind}, not a regular file`);
      expect(given.message).not.toContain('PHLOW_KEY_AUDIT_LOG');
      expect(given.message).not.toContain(path);
    }
  });

  it('follows a symbolic link to a log; a missing log is a setting or usage error (not NOT_FOUND), naming no path', () => {
    const target = join(dir, 'target.log');
    writeFileSync(target, line('linked'));
    const link = join(dir, 'link.log');
    symlinkSync(target, link);
    expect(readAuditLog(link, 1024).records.map((r) => r.keyId)).toEqual(['linked']);
    const missing = failure(join(dir, 'missing.log'));
    expect(missing.code).toBe('INVALID_CONFIG');
    expect(missing.message).toContain('PHLOW_KEY_AUDIT_LOG names no file (ENOENT)');
    expect(missing.message).not.toContain(dir);
    const given = failure(join(dir, 'missing.log'), 'argument');
    expect(given.name).toBe('UsageError');
    expect(given.message).toContain('the audit [file] argument names no file (ENOENT)');
    expect(given.message).not.toContain('PHLOW_KEY_AUDIT_LOG');
    expect(given.message).not.toContain(dir);
  });
});
