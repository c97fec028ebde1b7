/**
 * Start-up loads only what a command line uses: `--version` loads neither core nor any adapter, `--help` loads
 * no adapter, and a command loads the adapter of the store it opens. Proven by making those packages
 * unloadable (a module hook preloaded with --import), not by timing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, CLI, cli, initProject, json, runCommand, type TestEnv, tempDir } from './helpers.js';

const BLOCKER = resolve(import.meta.dirname, 'fixtures/block-modules.mjs');
const ADAPTERS = 'keystore-env,keystore-file,keystore-vault,keystore-aws';
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

function blocked(block: string, args: readonly string[], cwd = tempDir()) {
  return runCommand(process.execPath, ['--import', BLOCKER, CLI, ...args], {
    cwd,
    env: baseEnv({ PHLOW_TEST_BLOCK: block }),
  });
}

describe('start-up loads only what is used', () => {
  it('--version and -V work with core and every adapter unloadable', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await blocked(`keys-core,${ADAPTERS}`, [flag]);
      expect(result.stderr).toBe('');
      expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
    }
  });

  it('--help and <command> --help work with every adapter unloadable', async () => {
    for (const args of [
      ['--help'],
      ['get', '--help'],
      ['sign', '--help'],
      ['init', '--help'],
      ['rekey', '--help'],
      ['help'],
      ['help', 'get'],
    ]) {
      const result = await blocked(ADAPTERS, args);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: phlow-keys');
    }
  });

  it('--help and <command> --help load neither core nor jose: the command table is help text only', async () => {
    for (const args of [
      ['--help'],
      ['jwks', '--help'],
      ['token', '--help'],
      ['generate', '--help'],
      ['doctor', '-h'],
      // `help` and `help <command>` load no more than --help.
      ['help'],
      ['help', 'jwks'],
      ['help', 'token'],
      ['help', 'doctor'],
    ]) {
      const result = await blocked(`keys-core,keys-jwt,jose,${ADAPTERS}`, args);
      expect(result.stderr, args.join(' ')).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: phlow-keys');
    }
    // The block is real for these too: running the command loads them.
    const cwd = await initProject();
    const ran = await blocked('keys-jwt,jose', ['token', 'nobody'], cwd);
    expect(ran.code).not.toBe(0);
    expect(ran.stderr).toContain('was loaded');
  });

  it('jwks, get and list load neither jose nor keys-jwt: only token and verify-token need them', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    for (const args of [['jwks'], ['get', 'a'], ['list'], ['sign', 'a', '--message', 'x']]) {
      const result = await blocked('keys-jwt,jose,keystore-vault,keystore-aws,keystore-env', args, cwd);
      expect(result.stderr, args.join(' ')).toBe('');
      expect(result.code, args.join(' ')).toBe(0);
    }
  });

  it('the block is real: a command that opens the file store fails when its adapter cannot load', async () => {
    const cwd = await initProject();
    const result = await blocked('keystore-file', ['list'], cwd);
    expect(result.code).not.toBe(0);
    const ok = await blocked('keystore-vault,keystore-aws,keystore-env', ['list'], cwd);
    expect(ok.code).toBe(0);
  });
});

describe('the CLI carries its own build of the phlow-keys packages (tsdown.config.ts)', () => {
  const dist = dirname(CLI);
  /** The files of the build reachable from cli.js (a stale chunk left in dist by an earlier build is not). */
  function reachable(): { files: Set<string>; bare: Set<string> } {
    const files = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      const code = readFileSync(resolve(dist, file), 'utf8');
      // Static imports `from"x"`; dynamic ones `import("x")`, which the minifier writes as import(`x`).
      for (const m of code.matchAll(
        /\bfrom\s*["']([^"'$]+)["']|\bimport\s*\(\s*["'`]([^"'`$]+)["'`]\s*\)/g,
      )) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('./')) visit(spec.slice(2));
        else bare.add(spec);
      }
    };
    visit('cli.js');
    return { files, bare };
  }

  it('one chunk per package, which the blocker above recognises, and no import of one by name', () => {
    const { files, bare } = reachable();
    for (const name of [
      'keys-core',
      'keystore-file',
      'keystore-env',
      'keys-jwt',
      'keys-a2a',
      'keys-httpsig',
    ]) {
      expect([...files].filter((f) => f.startsWith(`${name}-`)).length, name).toBe(1);
    }
    // Node's modules and jose, nothing else: the adapters a user installs load through the resolver by path.
    expect([...bare].filter((spec) => !spec.startsWith('node:'))).toEqual(['jose']);
  });

  it('--debug stack traces name the source files, not the minified chunks', async () => {
    const cwd = await initProject();
    const result = await cli(['get', 'nobody', '--debug'], { cwd });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/src[\\/]commands[\\/]get[\\/]run\.ts:\d+/);
    const plain = await cli(['get', 'nobody'], { cwd });
    expect(plain.stderr).not.toContain('run.ts');
  });
});

describe('doctor on the cost of a passphrase master key', () => {
  interface Check {
    name: string;
    status: string;
    detail: string;
    advice?: { title: string; steps: string[] };
  }
  const masterCheck = async (cwd: string, env: TestEnv) => {
    const result = await cli(['doctor', '--json'], { cwd, env: baseEnv(env) });
    expect(result.stdout + result.stderr).not.toContain('correct horse battery');
    return (json(result).checks as Check[]).find((c) => c.name === 'master key')!;
  };

  it('says every call pays the KDF and how to avoid it, for PHLOW_MASTER_KEY and for a key file', async () => {
    const cwd = tempDir();
    writeFileSync(`${cwd}/passphrase.txt`, '  correct horse battery staple\n');
    for (const env of [
      { PHLOW_MASTER_KEY: 'correct horse battery staple' },
      { PHLOW_MASTER_KEY_FILE: 'passphrase.txt' },
    ]) {
      const check = await masterCheck(cwd, env);
      expect(check.status).toBe('warn');
      expect(check.detail).toContain('a passphrase');
      expect(check.advice?.title).toContain('every call pays the key derivation');
      expect(check.advice?.steps.join(' ')).toContain('phlow-keys rekey');
    }
  });

  it('stays quiet for the raw key file init writes', async () => {
    const cwd = await initProject();
    const check = await masterCheck(cwd, {});
    expect(check.status).toBe('ok');
    expect(check.advice).toBeUndefined();
  });
});

describe('constants repeated so that start-up loads no adapter', () => {
  it('the default key file and the environment spelling agree with the adapters', async () => {
    const { DEFAULT_KEY_FILE } = await import('../src/store.js');
    const { DEFAULT_FILE } = await import('@phlow/keystore-file');
    expect(DEFAULT_KEY_FILE).toBe(DEFAULT_FILE);
    const { upperSnake: cliSpelling } = await import('../src/commands/migrate/migrate-plan.js');
    const { upperSnake } = await import('@phlow/keystore-env');
    for (const id of ['my-agent', 'a.b_c-d', 'Agent9', 'x']) expect(cliSpelling(id)).toBe(upperSnake(id));
  });
});
