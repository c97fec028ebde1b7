/**
 * A new key id that looks like key material (a pasted 64-hex-digit secret, a long mixed-case base64 run) is
 * refused the way a pasted PEM is: exit 2, the value not shown. Only creating one is refused: an id of that
 * shape already in a store (written by the Python Phlow or by a library caller) stays listable, readable and
 * deletable.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { KeyManager } from '@phlow/keys-core';
import { createFileKeyStore } from '@phlow/keystore-file';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, initProject, pemPair, type Result } from './helpers.js';

const hex = () => randomBytes(32).toString('hex');
/** Mixed-case base64 as long as a 32-byte secret, in the key-id alphabet. */
const base64ish = () => `Ab1${randomBytes(32).toString('base64url').replace(/[-_]/g, 'x')}`;

function refused(result: Result, secret: string, command: string): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toContain(
    `${command} got a ${secret.length}-character value that may be key material (not shown)`,
  );
  expect(result.stderr).toContain('keys never go on the command line');
  expect(result.stdout + result.stderr).not.toContain(secret);
}

describe('a new key id that looks like key material', () => {
  it('generate refuses a pasted hex secret or base64 seed, and nothing is stored', async () => {
    const cwd = await initProject();
    for (const secret of [hex(), hex().toUpperCase(), `agent-${hex()}`, base64ish()]) {
      refused(await cli(['generate', secret], { cwd }), secret, 'generate');
    }
    const list = await cli(['list', '--json'], { cwd });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).keys).toEqual([]);
    // An ordinary id, even a long one with digits, is still fine.
    expect((await cli(['generate', 'agent-2024-0001-prod'], { cwd })).code).toBe(0);
  });

  it('migrate refuses it as the destination of --as', async () => {
    const cwd = await initProject();
    const pair = pemPair();
    const env = baseEnv({ PHLOW_PRIVATE_KEY_old: pair.privateKey, PHLOW_PUBLIC_KEY_old: pair.publicKey });
    const secret = hex();
    const result = await cli(
      ['migrate', '--from', 'environment', '--to', 'encrypted_file', '--as', `old=${secret}`],
      {
        cwd,
        env,
      },
    );
    refused(result, secret, 'migrate');
    expect(result.stderr).toContain('as the destination of --as');
  });

  it('an existing id of that shape can still be listed, read and deleted', async () => {
    const cwd = await initProject();
    const id = hex();
    const store = createFileKeyStore({ cwd, masterKeyFile: join(cwd, '.phlow/master.key'), env: {} });
    await new KeyManager({ store, env: {} }).createKey(id);
    await store.close?.();

    const list = await cli(['list', '--json'], { cwd });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(list.stdout))).toContain(id);
    const get = await cli(['get', id], { cwd });
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toContain('-----BEGIN PUBLIC KEY-----');
    const deleted = await cli(['delete', id, '--yes'], { cwd });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse((await cli(['list', '--json'], { cwd })).stdout).keys).toEqual([]);
  });
});
