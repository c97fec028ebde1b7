/**
 * The CLI's rough edges from first contact (issue 21): a mistyped option before the command is named as such,
 * a mistyped built-in store type gets "did you mean" instead of an install command for a package that does
 * not exist, `migrate --to memory` is refused, `doctor` leaves the store as it found it, and long listings
 * show progress on a terminal's stderr, never on stdout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { candidateModules } from '@phlow/keys-core';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_STORE_NAMES, STORE_TYPES } from '../src/store-types.js';
import {
  baseEnv,
  CLI,
  cli,
  initProject,
  json,
  pemPair,
  runCommand,
  type TestEnv,
  tempDir,
} from './helpers.js';

describe('an unknown option before the command', () => {
  it.each([
    [['--stor', 'file', 'list'], 'unknown option "--stor" (did you mean --store?)'],
    [['--jsno', 'list'], 'list has no option "--jsno" (did you mean --json?)'],
    [['--fromm', 'x', 'migrate'], 'unknown option "--fromm" (did you mean --from?)'],
  ])('%j', async (args, message) => {
    const result = await cli(args, { cwd: await initProject() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain('unknown command');
  });
});

describe('store type names', () => {
  it('every built-in name maps to one package of ours without a fallback (or is memory)', () => {
    for (const name of BUILT_IN_STORE_NAMES.filter((n) => n !== 'memory')) {
      const candidates = candidateModules(name);
      expect(candidates, name).toHaveLength(1);
      expect(candidates[0], name).toMatch(/^@phlow\/keystore-/);
    }
    // A name that is not built in gets the two-step convention: the list above is not too long.
    expect(candidateModules('vualt')).toHaveLength(2);
  });

  it.each([
    [['--store', 'vualt', 'list'], {}, 'vualt', 'vault'],
    [['list'], { PHLOW_KEY_STORE_TYPE: 'aws_ksm' }, 'aws_ksm', 'aws_kms'],
    [['migrate', '--from', 'encrypted_file', '--to', 'pkcs1'], {}, 'pkcs1', 'pkcs11'],
  ])('%j %j: did you mean, no install command', async (args, env, typed, meant) => {
    const result = await cli(args, { cwd: await initProject(), env: baseEnv(env) });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain(`unknown store type "${typed}" (did you mean ${meant}?)`);
    expect(result.stderr).not.toContain('npm install');
    // The resolver's message, with where it looked, is still there with --debug.
    const debug = await cli([...args, '--debug'], { cwd: await initProject(), env: baseEnv(env) });
    expect(debug.stderr).toContain(`npm install @phlow/keystore-${typed}`);
  });

  it('doctor says did you mean in its adapter check', async () => {
    const result = await cli(['--store', 'vualt', 'doctor', '--json'], { cwd: await initProject() });
    expect(result.code).toBe(1);
    const adapter = json(result).checks.find((c: { name: string }) => c.name === 'adapter');
    expect(adapter.error.message).toContain('unknown store type "vualt" (did you mean vault?)');
    expect(adapter.error.message).not.toContain('npm install');
  });

  it('a third-party name keeps the install command', async () => {
    const result = await cli(['--store', 'redis', 'list'], { cwd: await initProject() });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('npm install @phlow/keystore-redis');
    expect(result.stderr).not.toContain('did you mean');
  });

  it('help lists the built-in types', async () => {
    const help = await cli(['--help'], { cwd: await initProject(), env: baseEnv({ COLUMNS: '200' }) });
    for (const type of STORE_TYPES) expect(help.stdout).toContain(type);
  });
});

describe('migrate --to memory', () => {
  it('is refused before anything is read: the memory store loses everything at exit', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const result = await cli(['migrate', '--from', 'encrypted_file', '--to', 'memory'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--to memory: the memory store lives only in this process');
    expect(result.stdout).toBe('');
  });
});

describe('doctor leaves nothing behind', () => {
  it('the key file is byte for byte the same and the ids unchanged after two runs', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    await cli(['generate', 'b'], { cwd });
    const keyFile = join(cwd, '.phlow/keys.enc');
    const before = readFileSync(keyFile);
    const ids = async () =>
      json(await cli(['list', '--json'], { cwd })).keys.map((k: { keyId: string }) => k.keyId);
    const idsBefore = await ids();
    for (let run = 0; run < 2; run++) {
      const result = await cli(['doctor', '--json'], { cwd });
      expect(result.code).toBe(0);
      const write = json(result).checks.find((c: { name: string }) => c.name === 'write');
      expect(write).toMatchObject({ status: 'ok' });
      expect(write.detail).toContain('checked without writing');
    }
    expect(readFileSync(keyFile).equals(before)).toBe(true);
    expect(await ids()).toEqual(idsBefore);
  });

  it('with no key file yet, it creates neither the file nor its directory', async () => {
    const cwd = await initProject();
    const env = baseEnv({ PHLOW_KEY_STORE_FILE: join(cwd, 'later/keys.enc') });
    const result = await cli(['doctor', '--json'], { cwd, env });
    expect(result.code).toBe(0);
    const write = json(result).checks.find((c: { name: string }) => c.name === 'write');
    expect(write).toMatchObject({ status: 'ok' });
    expect(existsSync(join(cwd, 'later'))).toBe(false);
  });
});

const hasScript = (() => {
  try {
    return execFileSync('script', ['--version'], { encoding: 'utf8' }).includes('util-linux');
  } catch {
    return false;
  }
})();

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** `phlow-keys <args> > stdoutFile` with stderr on a pseudo-terminal: returns what the terminal showed. */
function stderrOnTerminal(args: string[], stdoutFile: string, cwd: string) {
  const command = `${[process.execPath, CLI, ...args].map(quote).join(' ')} > ${quote(stdoutFile)}`;
  return runCommand('script', ['-qec', command, '/dev/null'], { cwd, env: { TERM: 'xterm', ...baseEnv() } });
}

/** A file store holding `count` keys, written by one migrate from the environment store. */
async function storeWith(count: number): Promise<string> {
  const cwd = await initProject();
  const env: TestEnv = {};
  for (let i = 0; i < count; i++) {
    const pair = pemPair();
    const id = `agent-${String(i).padStart(3, '0')}`;
    env[`PHLOW_PRIVATE_KEY_${id}`] = pair.privateKey;
    env[`PHLOW_PUBLIC_KEY_${id}`] = pair.publicKey;
  }
  const migrated = await cli(['migrate', '--from', 'environment', '--to', 'encrypted_file', '--json'], {
    cwd,
    env: baseEnv(env),
  });
  expect(json(migrated).summary.copied).toBe(count);
  return cwd;
}

describe('progress on long listings', () => {
  const COUNT = 60;

  it('piped, list and jwks write no progress anywhere', async () => {
    const cwd = await storeWith(COUNT);
    for (const args of [['list'], ['jwks']]) {
      const result = await cli(args, { cwd });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).not.toContain(`/${COUNT}`);
    }
    expect(json(await cli(['jwks'], { cwd })).keys).toHaveLength(COUNT);
  });

  it.skipIf(!hasScript)(
    'with stderr on a terminal, a bar counts up to every key; stdout (a file) gets none of it (needs util-linux script)',
    async () => {
      const cwd = await storeWith(COUNT);
      for (const args of [['list'], ['jwks']]) {
        const out = join(cwd, `${args[0]}.out`);
        const shown = await stderrOnTerminal(args, out, cwd);
        expect(shown.code).toBe(0);
        const draws = shown.stdout.split('\r').filter((line) => line.includes(`/${COUNT} agent-`));
        // Redrawn per 1% at most: more than a few, never one per key twice over.
        expect(draws.length, args[0]).toBeGreaterThan(5);
        expect(draws.length, args[0]).toBeLessThanOrEqual(COUNT);
        const written = readFileSync(out, 'utf8');
        expect(written).not.toContain('\u001b');
        expect(written).not.toContain(`/${COUNT}`);
        if (args[0] === 'jwks') {
          expect(shown.stdout).toContain(`${COUNT}/${COUNT}`);
          expect(JSON.parse(written).keys).toHaveLength(COUNT);
        } else {
          expect(written.trim().split('\n')).toHaveLength(COUNT + 1);
        }
      }
    },
  );

  it.skipIf(!hasScript)('a short listing on a terminal draws no bar (needs util-linux script)', async () => {
    const cwd = await storeWith(3);
    const shown = await stderrOnTerminal(['jwks'], join(cwd, 'jwks.out'), cwd);
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain('/3 agent-');
  });
});

describe('one broken entry does not hide the others', () => {
  // A mismatched pair on the env store: the public half is another key's. `list` and `jwks` print the good
  // ids, name the broken one with its code on stderr (never its content) and exit 1.
  const good = pemPair();
  const other = pemPair();
  const broken = pemPair();
  const env = baseEnv({
    PHLOW_KEY_STORE_TYPE: 'environment',
    PHLOW_PRIVATE_KEY_good: good.privateKey,
    PHLOW_PUBLIC_KEY_good: good.publicKey,
    PHLOW_PRIVATE_KEY_broken: broken.privateKey,
    PHLOW_PUBLIC_KEY_broken: other.publicKey,
  });

  it('list', async () => {
    const result = await cli(['list', '--json'], { cwd: tempDir(), env });
    expect(result.code).toBe(1);
    const out = json(result);
    expect(out.keys.map((k: { keyId: string }) => k.keyId)).toEqual(['good']);
    expect(out.broken).toEqual([{ keyId: 'broken', code: expect.any(String) }]);
    expect(result.stderr).toMatch(/key "broken" left out/);
    expect(result.stderr).not.toContain('BEGIN');
  });

  it('jwks', async () => {
    const result = await cli(['jwks'], { cwd: tempDir(), env });
    expect(result.code).toBe(1);
    expect(json(result).keys).toHaveLength(1);
    expect(result.stderr).toMatch(/key "broken" left out of the set/);
    expect(result.stderr).not.toContain('BEGIN');
  });

  it('every id broken is still a failure of the whole command', async () => {
    const only = baseEnv({
      PHLOW_KEY_STORE_TYPE: 'environment',
      PHLOW_PRIVATE_KEY_broken: broken.privateKey,
      PHLOW_PUBLIC_KEY_broken: other.publicKey,
    });
    for (const args of [['list'], ['jwks']]) {
      const result = await cli(args, { cwd: tempDir(), env: only });
      expect(result.code, args[0]).not.toBe(0);
      expect(result.stdout, args[0]).toBe('');
    }
  });
});
