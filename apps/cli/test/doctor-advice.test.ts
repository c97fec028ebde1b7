/**
 * doctor's advice fits the failure: a damaged encrypted key file (INTEGRITY) is reported once with advice
 * about restoring the file, never the Vault/AWS lines, and an audit log that cannot be opened is explained by
 * why (missing directory, a path through a file, not a regular file), not with "free space on its disk".
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, initProject, json } from './helpers.js';

interface Check {
  name: string;
  status: string;
  detail: string;
  error?: { code: string; message: string };
  advice?: { title: string; steps: string[] };
}

function flipOneByte(file: string): void {
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1]! ^= 1;
  writeFileSync(file, bytes);
}

describe('doctor on a damaged key file', () => {
  it('reports INTEGRITY once, with advice to restore the file, and skips the reads that would repeat it', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    flipOneByte(join(cwd, '.phlow/keys.enc'));

    const human = await cli(['doctor'], { cwd });
    expect(human.code).toBe(1);
    expect(human.stdout).not.toContain('Vault token');
    expect(human.stdout).not.toContain('network connectivity');
    expect(human.stdout).toContain('Key file damaged:');
    expect(human.stdout).toContain('PHLOW_KEY_STORE_BACKUP=true');
    expect(human.stdout).toContain('1 check failed.');

    const checks = json(await cli(['doctor', '--json'], { cwd })).checks as Check[];
    const failed = checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.name)).toEqual(['list']);
    expect(failed[0]).toMatchObject({ error: { code: 'INTEGRITY' }, advice: { title: 'Key file damaged' } });
    for (const name of ['unusable ids', 'read', 'write']) {
      expect(checks.find((c) => c.name === name)).toMatchObject({
        status: 'skip',
        detail: 'skipped: list failed',
      });
    }
  });

  it('with ids given, the same: one failure, the reads skipped', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    flipOneByte(join(cwd, '.phlow/keys.enc'));
    const checks = json(await cli(['doctor', 'a', '--json'], { cwd })).checks as Check[];
    expect(checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['list']);
    expect(checks.find((c) => c.name === 'read a')?.status).toBe('skip');
  });
});

describe('doctor: an audit log that cannot be opened', () => {
  const auditRow = async (path: (cwd: string) => string) => {
    const cwd = await initProject();
    const result = await cli(['doctor', '--json'], { cwd, env: baseEnv({ PHLOW_KEY_AUDIT_LOG: path(cwd) }) });
    expect(result.code).toBe(1);
    const row = (json(result).checks as Check[]).find((c) => c.name === 'audit log');
    expect(row?.status).toBe('fail');
    const advice = row?.advice?.steps.join('\n') ?? '';
    expect(advice).not.toContain('Free space');
    expect(advice).toContain('INVALID_CONFIG (exit 6), fail-open or not');
    return advice;
  };

  it('a missing directory: create it, or point the variable elsewhere', async () => {
    expect(await auditRow((cwd) => join(cwd, 'no-such-dir/audit.log'))).toContain(
      'Its directory does not exist: create it',
    );
  });

  it('a path through a file (ENOTDIR): point the variable at a file in a directory', async () => {
    expect(await auditRow((cwd) => join(cwd, '.phlow/master.key/audit.log'))).toContain(
      'A part of its path is a file, not a directory',
    );
  });

  it('a directory or a FIFO: point the variable at a regular file', async () => {
    expect(await auditRow((cwd) => cwd)).toContain('point PHLOW_KEY_AUDIT_LOG to a regular file');
    const fifo = await auditRow((cwd) => {
      const path = join(cwd, 'audit.fifo');
      execFileSync('mkfifo', [path]);
      return path;
    });
    expect(fifo).toContain('It names a directory, device, FIFO, socket or symbolic link');
  });
});
