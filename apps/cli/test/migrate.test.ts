/**
 * migrate without servers: from the environment store (the guide's migration) to the encrypted file store,
 * with resumption, conflicts, --overwrite, --dry-run, RSA pairs and ids spelled in upper snake case.
 */
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, initProject, json, pemPair, type TestEnv } from './helpers.js';

const agent = pemPair();
const legacy = pemPair('rsa');

function envWith(
  pairs: Record<string, { privateKey: string; publicKey: string }>,
  extra: TestEnv = {},
): TestEnv {
  const vars: TestEnv = {};
  for (const [name, pair] of Object.entries(pairs)) {
    vars[`PHLOW_PRIVATE_KEY_${name}`] = pair.privateKey;
    vars[`PHLOW_PUBLIC_KEY_${name}`] = pair.publicKey;
  }
  return baseEnv({ ...vars, ...extra });
}

const MIGRATE = ['migrate', '--from', 'environment', '--to', 'encrypted_file'];

describe('migrate environment -> encrypted_file', () => {
  it('copies every listed id (Ed25519 and a legacy RSA pair), reads them back, never touches the source', async () => {
    const cwd = await initProject();
    const env = envWith({ agent1: agent, legacy });
    const result = await cli([...MIGRATE, '--json'], { cwd, env });
    expect(result.code).toBe(0);
    const shape = json(result);
    expect(shape).toMatchObject({
      from: 'environment',
      to: 'encrypted_file',
      dryRun: false,
      overwrite: false,
    });
    expect(shape.results).toEqual([
      { keyId: 'agent1', kid: expect.any(String), status: 'copied' },
      { keyId: 'legacy', kid: expect.any(String), status: 'copied' },
    ]);
    expect(shape.summary).toMatchObject({ copied: 2, skipped: 0, conflict: 0, failed: 0 });

    // The file store now serves the same public keys the environment held.
    const fromFile = await cli(['get', 'agent1'], { cwd });
    expect(fromFile.stdout).toBe(agent.publicKey);
    const rsaJwk = json(await cli(['get', 'legacy', '--format', 'jwk'], { cwd }));
    expect(rsaJwk).toMatchObject({ kty: 'RSA', alg: 'RS256' });
    // A signature by the migrated Ed25519 key verifies against the source's public key.
    const signature = (await cli(['sign', 'agent1', '--message', 'm'], { cwd })).stdout.trim();
    const { verify, createPublicKey } = await import('node:crypto');
    expect(
      verify(null, Buffer.from('m'), createPublicKey(agent.publicKey), Buffer.from(signature, 'base64url')),
    ).toBe(true);
  });

  it('is resumable: a second run skips identical keys', async () => {
    const cwd = await initProject();
    const env = envWith({ agent1: agent });
    expect((await cli(MIGRATE, { cwd, env })).code).toBe(0);
    const again = await cli([...MIGRATE, '--json'], { cwd, env });
    expect(again.code).toBe(0);
    expect(json(again).results).toEqual([{ keyId: 'agent1', kid: expect.any(String), status: 'skipped' }]);
  });

  it('after a failure, the same command copies what is left and skips what was done', async () => {
    const cwd = await initProject();
    // "missing" has only a private key at the source: that id fails, the others are still copied.
    const broken = envWith({ agent1: agent }, { PHLOW_PRIVATE_KEY_missing: legacy.privateKey });
    const first = await cli([...MIGRATE, 'agent1', 'missing', '--json'], { cwd, env: broken });
    expect(first.code).not.toBe(0);
    expect(json(first).results).toEqual([
      { keyId: 'agent1', kid: expect.any(String), status: 'copied' },
      {
        keyId: 'missing',
        status: 'failed',
        error: { code: 'INVALID_KEY', message: expect.stringContaining('missing') },
      },
    ]);
    const fixed = envWith({ agent1: agent, missing: legacy });
    const second = await cli([...MIGRATE, 'agent1', 'missing', '--json'], { cwd, env: fixed });
    expect(second.code).toBe(0);
    expect(json(second).results.map((r: { status: string }) => r.status)).toEqual(['skipped', 'copied']);
  });

  it('an id missing at the source fails with NOT_FOUND (exit 3)', async () => {
    const cwd = await initProject();
    const result = await cli([...MIGRATE, 'nobody'], { cwd, env: envWith({}) });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/nobody\s+failed/);
  });

  it('a different key at the destination is a conflict (exit 8), left alone unless --overwrite', async () => {
    const cwd = await initProject();
    await cli(['generate', 'agent1'], { cwd });
    const before = (await cli(['get', 'agent1'], { cwd })).stdout;
    const env = envWith({ agent1: agent });

    const conflict = await cli([...MIGRATE, '--json'], { cwd, env });
    expect(conflict.code).toBe(8);
    expect(json(conflict).results[0].status).toBe('conflict');
    expect((await cli(['get', 'agent1'], { cwd })).stdout).toBe(before);

    const human = await cli(MIGRATE, { cwd, env });
    expect(human.stderr).toContain('use --overwrite');

    const overwritten = await cli([...MIGRATE, '--overwrite', '--json'], { cwd, env });
    expect(overwritten.code).toBe(0);
    expect(json(overwritten).results[0].status).toBe('overwritten');
    // The copied key is the newest version; like any new version it signs after the rotation delay, and
    // `get` prints the key that signs now.
    expect(json(await cli(['list', '--json'], { cwd })).keys[0].kid).toBe(json(overwritten).results[0].kid);
    const noDelay = baseEnv({ PHLOW_KEY_ROTATION_DELAY_SECONDS: '0' });
    expect((await cli(['get', 'agent1'], { cwd, env: noDelay })).stdout).toBe(agent.publicKey);
  });

  it('--dry-run reports and writes nothing', async () => {
    const cwd = await initProject();
    const env = envWith({ agent1: agent });
    const result = await cli([...MIGRATE, '--dry-run', '--json'], { cwd, env });
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({
      dryRun: true,
      results: [{ keyId: 'agent1', status: 'would-copy' }],
    });
    expect(json(await cli(['list', '--json'], { cwd })).keys).toEqual([]);
  });

  it('an id with "-" is read from its upper-snake variable when given explicitly', async () => {
    const cwd = await initProject();
    const env = envWith({ MY_AGENT: agent });
    const result = await cli([...MIGRATE, 'my-agent', '--json'], { cwd, env });
    expect(result.code).toBe(0);
    expect(json(result).results[0]).toMatchObject({ keyId: 'my-agent', status: 'copied' });
    expect((await cli(['get', 'my-agent'], { cwd })).stdout).toBe(agent.publicKey);
  });

  it('the human report says the source was not changed and what to do next', async () => {
    const cwd = await initProject();
    const result = await cli(MIGRATE, { cwd, env: envWith({ agent1: agent }) });
    expect(result.stdout).toContain('The source (environment) was not changed.');
    expect(result.stdout).toContain('export PHLOW_KEY_STORE_TYPE=encrypted_file');
    expect(result.stdout).toContain('remove the PHLOW_PRIVATE_KEY_*');
  });

  it('to a read-only store: UNSUPPORTED (exit 7)', async () => {
    const cwd = await initProject();
    const result = await cli(['migrate', '--from', 'encrypted_file', '--to', 'environment'], { cwd });
    expect(result.code).toBe(7);
    expect(result.stderr).toContain('read-only');
  });

  it('a destination that refuses the master key stops the run (exit 4); later ids are not attempted', async () => {
    const cwd = await initProject();
    const env = envWith({ agent1: agent, agent2: agent }, { PHLOW_MASTER_KEY: 'wrong' });
    const result = await cli([...MIGRATE, '--json'], { cwd, env });
    expect(result.code).toBe(4);
    expect(json(result).results).toEqual([
      {
        keyId: 'agent1',
        kid: expect.any(String),
        status: 'failed',
        error: { code: 'ACCESS_DENIED', message: expect.any(String) },
      },
      { keyId: 'agent2', status: 'not-attempted' },
    ]);
  });
});
