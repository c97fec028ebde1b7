/**
 * The audit trail's failures as an operator sees them through the built CLI: `audit` prints hostile log
 * content escaped and reports recorded gaps and refused-token summaries; `doctor` has an `audit log` row that
 * fails when this run's lines are lost (a full 64 KiB tmpfs, mounted in a user and mount namespace) or the
 * log cannot be opened; the target is matched in any case and stdout is refused. Output's own escaping is
 * checked in process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROL_CHARACTERS } from '@phlow/keys-core';
import { describe, expect, it } from 'vitest';
import { Output, TERMINAL_UNSAFE } from '../src/output.js';
import { baseEnv, CLI, cli, initProject, json, runCommand, tempDir } from './helpers.js';

/** ESC, CR, C1 CSI and NEL, line separator, bidi override and isolate. */
const HOSTILE = '\u001b]0;owned\u0007\r\u009b2J\u0085\u2028\u202e\u2066';
const RAW =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

interface Check {
  name: string;
  status: string;
  detail: string;
}
const check = (result: Awaited<ReturnType<typeof cli>>, name: string): Check | undefined =>
  (json(result).checks as Check[]).find((c) => c.name === name);

describe('Output escapes what it did not write itself', () => {
  it("uses core's set of control and bidi characters (spelled again only to keep core out of start-up)", () => {
    expect(TERMINAL_UNSAFE.source).toBe(CONTROL_CHARACTERS.source);
    expect(TERMINAL_UNSAFE.flags).toBe(CONTROL_CHARACTERS.flags);
  });

  it('notes, warnings, errors and JSON: control and bidi characters as \\uXXXX, the same JSON value', () => {
    let stdout = '';
    let stderr = '';
    const out = new Output({
      json: false,
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env: {},
    });
    out.error(`bad issuer ${HOSTILE}`);
    out.warn(`w ${HOSTILE}`);
    out.note(`first line\n\tsecond ${HOSTILE}`);
    const claims = { sub: `x${HOSTILE}`, nested: [`\u202e${HOSTILE}`] };
    out.data(claims);
    expect(stderr.replace(/[\n\t]/g, '')).not.toMatch(RAW);
    expect(stderr).toContain('first line\n\tsecond');
    expect(stdout.replace(/\n/g, '')).not.toMatch(RAW);
    expect(JSON.parse(stdout)).toEqual(claims);
  });
});

describe('phlow-keys audit', () => {
  it('prints hostile fields escaped, sums refused-token summaries and reports recorded gaps', async () => {
    const cwd = tempDir('audit-read');
    const log = join(cwd, 'audit.log');
    const line = (fields: Record<string, unknown>) => JSON.stringify(fields);
    writeFileSync(
      log,
      [
        line({
          time: '2026-12-07T10:00:00.000Z',
          operation: 'sign',
          outcome: 'success',
          storeType: 'file',
          keyId: 'a',
          caller: `mallory${HOSTILE}`,
        }),
        line({
          time: '2026-12-07T10:00:01.000Z',
          operation: 'verify',
          outcome: 'success',
          valid: false,
          storeType: 'file',
          keyId: 'a',
          errorCode: `SIG${HOSTILE}`,
        }),
        // 500 refusals past the budget, in one summary line.
        line({
          time: '2026-12-07T10:01:00.000Z',
          operation: 'verify',
          outcome: 'success',
          valid: false,
          storeType: 'file',
          errorCode: 'SIGNATURE_INVALID',
          count: 500,
          since: '2026-12-07T10:00:00.000Z',
        }),
        '{"time":"2026-12-07T10:01:02.000Z","opera', // a line the full disk cut
        line({
          time: '2026-12-07T10:05:00.000Z',
          type: 'audit-loss',
          lost: 7,
          errorCode: 'ENOSPC',
          since: '2026-12-07T10:01:02.000Z',
        }),
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const table = await cli(['audit', log], { cwd, env: baseEnv() });
    expect(table.code).toBe(0);
    expect(table.stdout.replace(/\n/g, '')).not.toMatch(RAW);
    expect(table.stdout).toContain('mallory\\u001b]0;owned\\u0007\\u000d\\u009b2J');
    expect(table.stdout).toMatch(/502 events/);
    expect(table.stderr).toMatch(/the log is incomplete: 7 lines could not be written .*ENOSPC/);
    expect(table.stderr).toMatch(/skipped 1 malformed line/);

    const data = json(await cli(['audit', log, '--json'], { cwd, env: baseEnv() }));
    expect(data).toMatchObject({
      events: 502,
      skipped: 1,
      lost: 7,
      gaps: [{ lost: 7, errorCode: 'ENOSPC' }],
    });
    const invalid = data.rows.filter((r: { outcome: string }) => r.outcome === 'invalid');
    expect(invalid.reduce((sum: number, r: { count: number }) => sum + r.count, 0)).toBe(501);
  });
});

describe('the audit target through the CLI', () => {
  it('takes STDERR in any case (no file of that name) and refuses stdout with a configuration error', async () => {
    const cwd = await initProject();
    const onStderr = await cli(['generate', 'a'], { cwd, env: baseEnv({ PHLOW_KEY_AUDIT_LOG: 'STDERR' }) });
    expect(onStderr.code).toBe(0);
    const events = onStderr.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(events.map((l) => JSON.parse(l).operation)).toEqual(['generate']);
    expect(readdirSync(cwd).filter((f) => f.toLowerCase() === 'stderr')).toEqual([]);

    const refused = await cli(['sign', 'a', '--message', 'm'], {
      cwd,
      env: baseEnv({ PHLOW_KEY_AUDIT_LOG: 'stdout' }),
    });
    expect(refused.code).toBe(6);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/stdout is refused/);
    expect(existsSync(join(cwd, 'stdout'))).toBe(false);
  });
});

describe('doctor: the audit log row', () => {
  it('ok with this run counted, warns on gaps the log records, fails on a log it cannot open', async () => {
    const cwd = await initProject();
    const log = join(cwd, 'audit.log');
    const ok = await cli(['doctor', '--json'], { cwd, env: baseEnv({ PHLOW_KEY_AUDIT_LOG: log }) });
    expect(ok.code).toBe(0);
    expect(check(ok, 'audit log')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(
        // doctor on the file store writes nothing to the store, so it audits no access of its own
        /0 lines of this run written, none lost; refused tokens: 600 lines a minute/,
      ),
    });

    writeFileSync(
      log,
      `${JSON.stringify({ time: '2026-12-07T10:05:00.000Z', type: 'audit-loss', lost: 1978, errorCode: 'ENOSPC', since: '2026-12-07T10:00:00.000Z' })}\n`,
      { flag: 'a' },
    );
    const gaps = await cli(['doctor', '--json'], { cwd, env: baseEnv({ PHLOW_KEY_AUDIT_LOG: log }) });
    expect(check(gaps, 'audit log')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/records 1978 lost lines/),
    });

    const link = join(cwd, 'link.log');
    symlinkSync(log, link);
    const broken = await cli(['doctor', '--json'], { cwd, env: baseEnv({ PHLOW_KEY_AUDIT_LOG: link }) });
    expect(broken.code).toBe(1);
    expect(check(broken, 'audit log')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/symbolic link/),
    });
    expect(check(broken, 'write')).toMatchObject({ status: 'ok' }); // the other checks still ran
  });

  const canMount = spawnSync('unshare', ['-rm', 'true']).status === 0;
  it.skipIf(!canMount)(
    'fails on a full disk (64 KiB tmpfs; needs unshare -rm): found from the free space, before any line is lost',
    async () => {
      const cwd = await initProject();
      const disk = join(cwd, 'disk');
      mkdirSync(disk);
      const result = await runCommand(
        'unshare',
        [
          '-rm',
          'sh',
          '-c',
          'mount -t tmpfs -o size=64k tmpfs "$1" && (head -c 1048576 /dev/zero > "$1/fill" 2>/dev/null; true) && exec "$2" "$3" doctor --json',
          'sh',
          disk,
          process.execPath,
          CLI,
        ],
        { cwd, env: baseEnv({ PHLOW_KEY_AUDIT_LOG: join(disk, 'audit.log') }) },
      );
      expect(result.code).toBe(1);
      expect(check(result, 'audit log')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/has 0 bytes free: the next lines will be lost \(fail-open\)/),
      });
      expect(check(result, 'write')).toMatchObject({ status: 'ok' }); // the other checks still ran
    },
  );
});
