/** doctor (checks, advice in the guide's words, exit codes) and rekey on the encrypted file store. */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFileKeyStore, generateMasterKey } from '@phlow/keystore-file';
import { describe, expect, it } from 'vitest';
import { baseEnv, CLI, cli, initProject, json, pemPair, tempDir } from './helpers.js';

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
  ms?: number;
  error?: { code: string; message: string };
  advice?: { title: string; steps: string[] };
}

const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name);

describe('doctor', () => {
  it('passes on a fresh init, checks read and (without writing, on the file store) write (--json shape)', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const result = await cli(['doctor', '--json'], { cwd });
    expect(result.code).toBe(0);
    const shape = json(result);
    expect(shape.store).toEqual({ type: 'encrypted_file', source: 'default' });
    expect(shape.ok).toBe(true);
    const names = shape.checks.map((c: Check) => c.name);
    expect(names).toEqual([
      'adapter',
      'cache',
      'master key',
      'connect',
      'file modes',
      'list',
      'unusable ids',
      'read a',
      'write',
    ]);
    for (const check of shape.checks as Check[]) {
      expect(['ok', 'warn']).toContain(check.status);
      expect(check.ms).toEqual(expect.any(Number));
    }
    expect(json(await cli(['list', '--json'], { cwd })).keys.map((k: { keyId: string }) => k.keyId)).toEqual([
      'a',
    ]);
  });

  it('shows the rotation timing the fleet runs with: delay, grace and refetch cooldown, from the environment', async () => {
    const cwd = await initProject();
    const defaults = byName(json(await cli(['doctor', '--json'], { cwd })).checks, 'cache');
    expect(defaults?.detail).toContain('rotation delay 15m, rotation grace 1d, refetch cooldown 30s');
    const env = baseEnv({
      PHLOW_KEY_ROTATION_DELAY_SECONDS: '120',
      PHLOW_KEY_ROTATION_GRACE_SECONDS: '7200',
      PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS: '5',
    });
    const set = byName(json(await cli(['doctor', '--json'], { cwd, env })).checks, 'cache');
    expect(set?.detail).toContain('rotation delay 2m, rotation grace 2h, refetch cooldown 5s');
  });

  it('prints a table and "All checks passed." for people', async () => {
    const cwd = await initProject();
    const result = await cli(['doctor'], { cwd });
    expect(result.stdout).toMatch(/STATUS\s+CHECK\s+TIME\s+RESULT/);
    expect(result.stdout).toContain('All checks passed.');
  });

  it('without a master key: the master key check fails and says how to fix it (exit 1)', async () => {
    const result = await cli(['doctor', '--json'], { cwd: tempDir() });
    expect(result.code).toBe(1);
    const checks: Check[] = json(result).checks;
    expect(byName(checks, 'master key')).toMatchObject({ status: 'fail', error: { code: 'INVALID_CONFIG' } });
    expect(byName(checks, 'master key')?.error?.message).toContain('phlow-keys init');
    expect(byName(checks, 'connect')?.status).toBe('skip');
  });

  it('a wrong master key is explained as "Permission Denied"', async () => {
    const cwd = await initProject();
    const result = await cli(['doctor'], { cwd, env: baseEnv({ PHLOW_MASTER_KEY: 'wrong' }) });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Permission Denied:');
    expect(result.stdout).toContain('the master key does not open');
    // One file: the listing's failure is what every read would meet, so it is reported once.
    expect(result.stdout).toMatch(/skip\s+read\s+skipped: list failed/);
    expect(result.stdout).toMatch(/skip\s+write\s+skipped: list failed/);
    expect(result.stdout).toContain('1 check failed.');
  });

  it('an unknown id is explained as "Key Not Found" in the guide\'s words', async () => {
    const cwd = await initProject();
    const result = await cli(['doctor', 'my-agent'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Key Not Found:');
    expect(result.stdout).toContain('Verify the key ID matches your agent ID');
  });

  it('flags files other users can read, with the chmod that fixes it', async () => {
    const cwd = await initProject();
    chmodSync(join(cwd, '.phlow/master.key'), 0o644);
    const result = await cli(['doctor', '--json'], { cwd });
    expect(result.code).toBe(1);
    const check = byName(json(result).checks, 'file modes');
    expect(check?.status).toBe('fail');
    expect(check?.advice?.steps.join('\n')).toContain(`chmod 600 ${join(cwd, '.phlow/master.key')}`);
  });

  it('reports cache settings from the environment; caching turned off is a "Performance Issues" warning', async () => {
    const cwd = await initProject();
    const result = await cli(['doctor', '--json'], {
      cwd,
      env: baseEnv({ PHLOW_KEY_CACHE_TTL_SECONDS: '0' }),
    });
    expect(result.code).toBe(0);
    const cache = byName(json(result).checks, 'cache');
    expect(cache).toMatchObject({ status: 'warn', advice: { title: 'Performance Issues' } });
    expect(cache?.detail).toContain('TTL 0s (PHLOW_KEY_CACHE_TTL_SECONDS)');

    const bad = await cli(['doctor', '--json'], {
      cwd,
      env: baseEnv({ PHLOW_KEY_CACHE_TTL_SECONDS: 'soon' }),
    });
    expect(bad.code).toBe(1);
    expect(byName(json(bad).checks, 'cache')).toMatchObject({
      status: 'fail',
      error: { code: 'INVALID_CONFIG' },
    });
  });

  it('a read-only store: the write check is skipped, not failed', async () => {
    const pair = pemPair();
    const env = baseEnv({ PHLOW_PRIVATE_KEY_a: pair.privateKey, PHLOW_PUBLIC_KEY_a: pair.publicKey });
    const result = await cli(['--store', 'environment', 'doctor', '--json'], { cwd: tempDir(), env });
    expect(result.code).toBe(0);
    expect(byName(json(result).checks, 'write')).toMatchObject({
      status: 'skip',
      detail: 'environment is read-only',
    });
    expect(byName(json(result).checks, 'read a')?.status).toBe('ok');
  });

  it('a missing adapter fails the adapter check with the install command', async () => {
    const result = await cli(['--store', 'nosuch', 'doctor', '--json'], { cwd: tempDir() });
    expect(result.code).toBe(1);
    expect(byName(json(result).checks, 'adapter')?.error?.message).toContain(
      'npm install @phlow/keystore-nosuch',
    );
  });
});

describe('rekey', () => {
  it('generates a new master key, keeps the old one as a backup, and the keys still open', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const oldKey = readFileSync(join(cwd, '.phlow/master.key'), 'utf8');
    const result = await cli(['rekey', '--json'], { cwd });
    expect(result.code).toBe(0);
    const shape = json(result);
    expect(shape).toEqual({
      keyFile: '.phlow/keys.enc',
      masterKeyFile: '.phlow/master.key',
      backup: expect.stringMatching(/^\.phlow\/master\.key\.old-\d{8}T\d{6}Z$/),
      keys: 1,
      env: {},
      unset: [],
    });
    expect(readFileSync(join(cwd, '.phlow/master.key'), 'utf8')).not.toBe(oldKey);
    expect(readFileSync(join(cwd, shape.backup), 'utf8')).toBe(oldKey);
    expect(readdirSync(join(cwd, '.phlow')).filter((f) => f.endsWith('.new'))).toEqual([]);
    expect((await cli(['get', 'a'], { cwd })).code).toBe(0);
    // The old key no longer opens the file.
    expect((await cli(['list'], { cwd, env: baseEnv({ PHLOW_MASTER_KEY_FILE: shape.backup }) })).code).toBe(
      4,
    );
  });

  it('--new-master-key-file: re-encrypts under that key and moves the fallback key file aside', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    writeFileSync(join(cwd, 'new.key'), 'a long new passphrase\n', { mode: 0o600 });
    const result = await cli(['rekey', '--new-master-key-file', 'new.key', '--json'], { cwd });
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({
      masterKeyFile: 'new.key',
      env: { PHLOW_MASTER_KEY_FILE: 'new.key' },
    });
    expect(existsSync(join(cwd, '.phlow/master.key'))).toBe(false);
    expect((await cli(['get', 'a'], { cwd, env: baseEnv({ PHLOW_MASTER_KEY_FILE: 'new.key' }) })).code).toBe(
      0,
    );
  });

  it('from PHLOW_MASTER_KEY: writes the new key to .phlow/master.key and says to unset the variable', async () => {
    const cwd = tempDir();
    const env = baseEnv({ PHLOW_MASTER_KEY: 'an old passphrase' });
    await cli(['generate', 'a'], { cwd, env });
    const result = await cli(['rekey'], { cwd, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('unset PHLOW_MASTER_KEY');
    expect((await cli(['get', 'a'], { cwd })).code).toBe(0);
  });

  it('with the wrong current key nothing changes (exit 4)', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const before = readFileSync(join(cwd, '.phlow/keys.enc'));
    const result = await cli(['rekey'], { cwd, env: baseEnv({ PHLOW_MASTER_KEY: 'wrong' }) });
    expect(result.code).toBe(4);
    expect(readFileSync(join(cwd, '.phlow/keys.enc')).equals(before)).toBe(true);
  });

  it('two rekeys in one second both succeed and keep distinct backups of the old keys', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const [first, second] = [
      await cli(['rekey', '--json'], { cwd }),
      await cli(['rekey', '--json'], { cwd }),
    ];
    expect(first?.code, first?.stderr).toBe(0);
    expect(second?.code, second?.stderr).toBe(0);
    expect(json(first!).backup).not.toBe(json(second!).backup);
    expect((await cli(['get', 'a'], { cwd })).code).toBe(0);
  });

  it('killed with SIGKILL at random points, 20 times: list keeps working, and the next rekey finishes cleanly', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    await cli(['generate', 'b'], { cwd });
    // A whole rekey's length, to spread the kills over it (not asserted: only the spread depends on it).
    const started = Date.now();
    expect((await cli(['rekey'], { cwd })).code).toBe(0);
    const span = Date.now() - started;
    for (let round = 0; round < 20; round++) {
      const child = spawn(process.execPath, [CLI, 'rekey'], {
        cwd,
        env: baseEnv() as NodeJS.ProcessEnv,
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.on('close', resolve));
      await sleep(span * (0.3 + Math.random() * 0.8));
      child.kill('SIGKILL');
      await exited;
      const list = await cli(['list', '--json'], { cwd });
      expect(list.code, list.stderr).toBe(0);
      expect(json(list).keys.map((k: { keyId: string }) => k.keyId)).toEqual(['a', 'b']);
    }
    const last = await cli(['rekey'], { cwd });
    expect(last.code, last.stderr).toBe(0);
    expect(readdirSync(join(cwd, '.phlow')).filter((f) => f.endsWith('.new'))).toEqual([]);
    const list = await cli(['list'], { cwd });
    expect(list.code).toBe(0);
    expect(list.stderr).not.toContain('interrupted');
  }, 300_000);

  it('a key file left opening only with master.key.new: commands work and warn, rekey finishes; the error names it when nothing opens', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const masterKey = join(cwd, '.phlow/master.key');
    // What a rekey killed between re-encrypting and renaming leaves.
    const fresh = generateMasterKey();
    writeFileSync(`${masterKey}.new`, `${fresh}\n`, { mode: 0o600 });
    await createFileKeyStore({ cwd, masterKeyFile: masterKey, env: {} }).rekey(fresh);
    const get = await cli(['get', 'a'], { cwd });
    expect(get.code, get.stderr).toBe(0);
    expect(get.stderr).toContain('master.key.new');
    expect(get.stderr).toContain('phlow-keys rekey');

    writeFileSync(`${masterKey}.new`, `${generateMasterKey()}\n`, { mode: 0o600 });
    const denied = await cli(['get', 'a'], { cwd });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain('master.key.new');

    writeFileSync(`${masterKey}.new`, `${fresh}\n`, { mode: 0o600 });
    expect((await cli(['rekey'], { cwd })).code).toBe(0);
    expect(existsSync(`${masterKey}.new`)).toBe(false);
    const after = await cli(['get', 'a'], { cwd });
    expect(after.code).toBe(0);
    expect(after.stderr).not.toContain('master.key.new');
  });

  it('is for the file store only (exit 7)', async () => {
    const result = await cli(['--store', 'memory', 'rekey'], { cwd: tempDir() });
    expect(result.code).toBe(7);
  });
});
