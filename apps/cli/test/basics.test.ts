/** Help, version, usage errors, error lines and exit codes, the store choice. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, initProject, json, tempDir } from './helpers.js';

const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const COMMANDS = [
  'init',
  'generate',
  'get',
  'list',
  'rotate',
  'delete',
  'jwks',
  'sign',
  'verify',
  'migrate',
  'rekey',
  'doctor',
];

describe('help and version', () => {
  it('--version prints the package version', async () => {
    const result = await cli(['--version'], { cwd: tempDir() });
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('--help lists every command and the global flags', async () => {
    const result = await cli(['--help'], { cwd: tempDir() });
    expect(result.code).toBe(0);
    for (const name of [...COMMANDS, '--store', '--json', '--debug', '--version']) {
      expect(result.stdout).toContain(name);
    }
  });

  it.each(COMMANDS)('%s --help shows usage and an example', async (name) => {
    const result = await cli([name, '--help'], { cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: phlow-keys ${name}`);
    expect(result.stdout).toMatch(/Examples?\n {2}phlow-keys /);
  });

  it('no command prints help and exits 2', async () => {
    const result = await cli([], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Usage: phlow-keys <command>');
  });
});

describe('usage errors exit 2 with one clear line', () => {
  it.each([
    [['nosuch'], 'unknown command "nosuch"'],
    [['list', '--nope'], 'list has no option "--nope"'],
    [['get'], 'get needs a key id'],
    [['get', 'a', 'b'], 'get takes one key id'],
    [['get', 'a', '--format', 'xml'], '--format must be pem or jwk'],
    [['verify', 'a', '--message', 'x'], 'verify needs --signature'],
    [['verify', 'a', '--signature', 'not base64!', '--message', 'x'], '--signature is not base64url'],
    [['migrate', '--from', 'environment'], 'migrate needs --from <type> and --to <type>'],
    [['migrate', '--from', 'env', '--to', 'environment'], 'the same store'],
  ])('%j', async (args, message) => {
    const result = await cli(args, { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('--help');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('errors from core and adapters', () => {
  it('an invalid key id: INVALID_KEY_ID, exit 2, before any store is opened', async () => {
    const result = await cli(['get', '../etc'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid key id (a path separator at position 3 of 6)');
  });

  it('a missing adapter: ADAPTER_NOT_FOUND with the install command, exit 6', async () => {
    const result = await cli(['--store', 'nosuch', 'list'], { cwd: tempDir() });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('no key store adapter for "nosuch"');
    expect(result.stderr).toContain('npm install @phlow/keystore-nosuch');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('PHLOW_KEY_STORE_TYPE chooses the store when --store is not given', async () => {
    const result = await cli(['list'], { cwd: tempDir(), env: baseEnv({ PHLOW_KEY_STORE_TYPE: 'nosuch' }) });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('"nosuch"');
  });

  it('--store wins over PHLOW_KEY_STORE_TYPE', async () => {
    const result = await cli(['--store', 'memory', 'list', '--json'], {
      cwd: tempDir(),
      env: baseEnv({ PHLOW_KEY_STORE_TYPE: 'nosuch' }),
    });
    expect(result.code).toBe(0);
    expect(json(result)).toEqual({ store: 'memory', keys: [] });
  });

  it('the default store is encrypted_file: without a master key, a configuration error (exit 6)', async () => {
    const result = await cli(['generate', 'a'], { cwd: tempDir() });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('[phlow] [encrypted_file] no master key');
  });

  it('an unknown id: NOT_FOUND, exit 3', async () => {
    const cwd = await initProject();
    const result = await cli(['get', 'nobody'], { cwd });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('no key pair "nobody"');
  });

  it('a wrong master key: ACCESS_DENIED, exit 4', async () => {
    const cwd = await initProject();
    const result = await cli(['list'], { cwd, env: baseEnv({ PHLOW_MASTER_KEY: 'not the key' }) });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('the master key does not open');
  });

  it('a write to the read-only environment store: UNSUPPORTED, exit 7', async () => {
    const result = await cli(['--store', 'environment', 'generate', 'a'], { cwd: tempDir() });
    expect(result.code).toBe(7);
    expect(result.stderr).toContain('read-only');
  });

  it('an existing id: CONFLICT, exit 8, with the way out', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const result = await cli(['generate', 'a'], { cwd });
    expect(result.code).toBe(8);
    expect(result.stderr).toContain('already exists');
    expect(result.stderr).toContain('phlow-keys rotate a');
  });

  it('a stack trace only with --debug', async () => {
    const cwd = await initProject();
    const plain = await cli(['get', 'nobody'], { cwd });
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await cli(['get', 'nobody', '--debug'], { cwd });
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('--json errors: one line on stderr, {"error": ...} on stdout', async () => {
    const cwd = await initProject();
    const result = await cli(['get', 'nobody', '--json'], { cwd });
    expect(result.code).toBe(3);
    expect(json(result)).toEqual({
      error: { code: 'NOT_FOUND', message: expect.stringContaining('no key pair "nobody"'), exitCode: 3 },
    });
    expect(result.stderr).toContain('error:');
  });

  it('no colour when not on a terminal', async () => {
    const cwd = await initProject();
    const result = await cli(['generate', 'a'], { cwd });
    expect(result.stdout + result.stderr).not.toContain('\u001b[');
  });
});
