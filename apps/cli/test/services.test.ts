/**
 * The CLI against the real servers tooling/services/with-services.sh starts (a Vault dev server and moto):
 * migrations from the encrypted file store to Vault and to AWS Secrets Manager, rotation there, doctor, and
 * the failures an operator meets (a read-only Vault token, a refused token, an unreachable server).
 * These tests fail, never skip, when the services are not running: `pnpm --filter @phlow/cli test` starts them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, cli, initProject, json, pemPair, type TestEnv, tempDir, uid } from './helpers.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run these tests through tooling/services/with-services.sh (pnpm --filter @phlow/cli test does)`,
    );
  }
  return value;
}

function vaultEnv(extra: TestEnv = {}): TestEnv {
  return baseEnv({ VAULT_ADDR: required('VAULT_ADDR'), VAULT_TOKEN: required('VAULT_TOKEN'), ...extra });
}

function awsEnv(extra: TestEnv = {}): TestEnv {
  const pass = [
    'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
  ];
  return baseEnv({
    ...Object.fromEntries(pass.map((n) => [n, required(n)])),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  });
}

/** Calls the Vault HTTP API with the root token. */
// biome-ignore lint/suspicious/noExplicitAny: Vault's JSON answers, read by the two helpers below.
async function vaultApi(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${required('VAULT_ADDR')}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': required('VAULT_TOKEN'), 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A token that may read and list keys but not write them. */
async function readOnlyToken(): Promise<string> {
  const policy = [
    'path "phlow/data/keys/*" { capabilities = ["read"] }',
    'path "phlow/metadata/keys/*" { capabilities = ["read", "list"] }',
    'path "phlow/metadata/keys" { capabilities = ["list"] }',
  ].join('\n');
  await vaultApi('PUT', 'sys/policies/acl/phlow-cli-read-only', { policy });
  const created = await vaultApi('POST', 'auth/token/create', {
    policies: ['phlow-cli-read-only'],
    ttl: '10m',
  });
  return created.auth.client_token as string;
}

/** A project with two keys in its encrypted file store, one of them rotated. */
async function fileProjectWithKeys() {
  const cwd = await initProject();
  const ids = [uid('mig-a'), uid('mig-b')];
  for (const id of ids) expect((await cli(['generate', id], { cwd })).code).toBe(0);
  // --now: the new key signs at once, so the current key that migrate copies is the one that signs.
  expect((await cli(['rotate', ids[0]!, '--now'], { cwd })).code).toBe(0);
  return { cwd, ids };
}

describe('Vault', () => {
  beforeAll(() => {
    required('VAULT_ADDR');
  });

  it('migrate encrypted_file -> vault: copies, reads back, resumes; keys sign and verify from Vault', async () => {
    const { cwd, ids } = await fileProjectWithKeys();
    const env = vaultEnv();
    const result = await cli(['migrate', '--from', 'encrypted_file', '--to', 'vault', ...ids, '--json'], {
      cwd,
      env,
    });
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    expect(json(result).results.map((r: { status: string }) => r.status)).toEqual(['copied', 'copied']);

    for (const id of ids) {
      const fromFile = await cli(['get', id], { cwd });
      const fromVault = await cli(['--store', 'vault', 'get', id], { cwd, env });
      expect(fromVault.code).toBe(0);
      expect(fromVault.stdout).toBe(fromFile.stdout);
    }
    const listed = json(await cli(['--store', 'vault', 'list', '--json'], { cwd, env }));
    expect(listed.keys.map((k: { keyId: string }) => k.keyId)).toEqual(expect.arrayContaining(ids));

    // A signature by the file store's current key verifies against Vault.
    const signature = (await cli(['sign', ids[0]!, '--message', 'm'], { cwd })).stdout.trim();
    expect(
      (
        await cli(['--store', 'vault', 'verify', ids[0]!, `--signature=${signature}`, '--message', 'm'], {
          cwd,
          env,
        })
      ).code,
    ).toBe(0);

    const again = await cli(['migrate', '--from', 'encrypted_file', '--to', 'vault', ...ids, '--json'], {
      cwd,
      env,
    });
    expect(again.code).toBe(0);
    expect(json(again).results.map((r: { status: string }) => r.status)).toEqual(['skipped', 'skipped']);
  });

  it('migrate during a staged rotation copies the key that still signs and the new one; Vault keeps signing with the old', async () => {
    const cwd = await initProject();
    const id = uid('mig-staged');
    expect((await cli(['generate', id], { cwd })).code).toBe(0);
    expect((await cli(['rotate', id], { cwd })).code).toBe(0); // staged: the new key signs after the delay
    const [atFile] = json(await cli(['list', '--json'], { cwd })).keys;
    expect(atFile.signingKid).not.toBe(atFile.kid);

    const env = vaultEnv();
    const migrate = ['migrate', '--from', 'encrypted_file', '--to', 'vault', id, '--json'];
    const result = await cli(migrate, { cwd, env });
    expect(result.code, result.stderr).toBe(0);
    const [copied] = json(result).results;
    expect(copied).toMatchObject({ keyId: id, kid: atFile.kid, status: 'copied' });
    expect(copied.reason).toContain(`${atFile.signingKid}, which still signs`);

    const atVault = json(await cli(['--store', 'vault', 'list', '--json'], { cwd, env })).keys.find(
      (k: { keyId: string }) => k.keyId === id,
    );
    expect(atVault).toMatchObject({ kid: atFile.kid, signingKid: atFile.signingKid, verifyingKeys: 2 });
    const signed = json(await cli(['--store', 'vault', '--json', 'sign', id, '-m', 'm'], { cwd, env }));
    expect(signed.kid).toBe(atFile.signingKid);
    // A token signed at the source before the migration verifies against Vault.
    const signature = (await cli(['sign', id, '--message', 'in flight'], { cwd })).stdout.trim();
    const verified = await cli(
      ['--store', 'vault', 'verify', id, `--signature=${signature}`, '--message', 'in flight'],
      { cwd, env },
    );
    expect(verified.code).toBe(0);

    const again = await cli(migrate, { cwd, env });
    expect(json(again).results[0]).toMatchObject({ status: 'skipped' });
  });

  it('migrate environment -> vault keeps ids: an upper-snake variable needs --as, then lands under the mapped id', async () => {
    const cwd = tempDir();
    const id = uid('mapped');
    const variable = id.toUpperCase().replace(/[^A-Z0-9]/g, '_');
    const pair = pemPair();
    const env = vaultEnv({
      [`PHLOW_PRIVATE_KEY_${variable}`]: pair.privateKey,
      [`PHLOW_PUBLIC_KEY_${variable}`]: pair.publicKey,
    });
    const migrate = ['migrate', '--from', 'environment', '--to', 'vault', '--json'];
    const refused = await cli(migrate, { cwd, env });
    expect(refused.code).toBe(2);
    expect(json(refused).results).toEqual([
      { keyId: variable, status: 'ambiguous', reason: expect.stringContaining(`--as ${variable}=`) },
    ]);
    expect((await cli(['--store', 'vault', 'get', variable], { cwd, env })).code).toBe(3);

    const mapped = await cli([...migrate, '--as', `${variable}=${id}`], { cwd, env });
    expect(mapped.code).toBe(0);
    expect(json(mapped).results).toEqual([
      {
        keyId: id,
        sourceId: variable,
        reason: `from ${variable} (--as)`,
        kid: expect.any(String),
        status: 'copied',
      },
    ]);
    const fromVault = await cli(['--store', 'vault', 'get', id], { cwd, env });
    expect(fromVault.stdout).toBe(pair.publicKey);
    expect((await cli(['--store', 'vault', 'get', variable], { cwd, env })).code).toBe(3);
  });

  it('PHLOW_KEY_STORE_TYPE=vault: generate, rotate, JWKS with both keys, the old signature still verifies', async () => {
    const cwd = await initProject();
    const env = vaultEnv({ PHLOW_KEY_STORE_TYPE: 'vault' });
    const id = uid('rot');
    expect((await cli(['generate', id], { cwd, env })).code).toBe(0);
    const signature = (await cli(['sign', id, '--message', 'before'], { cwd, env })).stdout.trim();
    const rotated = json(await cli(['rotate', id, '--json'], { cwd, env }));
    expect(rotated.store).toBe('vault');
    const jwks = json(await cli(['jwks', id], { cwd, env }));
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([rotated.kid, rotated.previousKid]);
    expect(
      (await cli(['verify', id, `--signature=${signature}`, '--message', 'before'], { cwd, env })).code,
    ).toBe(0);
    expect((await cli(['delete', id, '--yes', '--destroy'], { cwd, env })).code).toBe(0);
    expect((await cli(['get', id], { cwd, env })).code).toBe(3);
  });

  it('doctor passes with the root token and reports the token check, leaving the id list as it was', async () => {
    const cwd = await initProject();
    const env = vaultEnv();
    const ids = async () =>
      json(await cli(['--store', 'vault', 'list', '--json'], { cwd, env })).keys.map(
        (k: { keyId: string }) => k.keyId,
      );
    const before = await ids();
    const result = await cli(['--store', 'vault', 'doctor', '--json'], { cwd, env });
    expect(result.code).toBe(0);
    const checks = json(result).checks as { name: string; status: string; detail: string }[];
    expect(checks.find((c) => c.name === 'authentication')?.detail).toContain('token accepted');
    expect(checks.find((c) => c.name === 'write')?.status).toMatch(/ok|warn/);
    expect(checks.find((c) => c.name === 'delete')?.status).toMatch(/ok|warn/);
    const scratch = /phlow-doctor-[0-9a-f]+/.exec(checks.find((c) => c.name === 'write')?.detail ?? '')?.[0];
    expect(scratch).toBeDefined();
    expect(await ids()).not.toContain(scratch);
    // Other tests of this file write to the same mount at the same time: only the scratch id is ours to judge.
    expect((await ids()).filter((id: string) => id.startsWith('phlow-doctor-'))).toEqual(
      before.filter((id: string) => id.startsWith('phlow-doctor-')),
    );
  });

  describe('a read-only token', () => {
    it('can read keys, but a write is ACCESS_DENIED (exit 4)', async () => {
      const cwd = await initProject();
      const id = uid('ro');
      expect((await cli(['--store', 'vault', 'generate', id], { cwd, env: vaultEnv() })).code).toBe(0);
      const env = vaultEnv({ VAULT_TOKEN: await readOnlyToken() });
      expect((await cli(['--store', 'vault', 'get', id], { cwd, env })).code).toBe(0);
      const denied = await cli(['--store', 'vault', 'generate', uid('ro-new')], { cwd, env });
      expect(denied.code).toBe(4);
      // The start-up check warns first that the token lacks the write capabilities, naming them.
      expect(denied.stderr).toMatch(/^warning: \[phlow\] \[vault\] .*lacks create on phlow\/data\/keys\/\*/);
      expect(denied.stderr).toMatch(/^error: \[phlow\] \[vault\] /m);
      expect(denied.stderr).not.toMatch(/\n\s+at /);
    });

    it('doctor fails the write check and explains it as "Permission Denied" (exit 1)', async () => {
      const cwd = await initProject();
      const env = vaultEnv({ VAULT_TOKEN: await readOnlyToken() });
      const result = await cli(['--store', 'vault', 'doctor'], { cwd, env });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/FAIL\s+write/);
      expect(result.stdout).toContain('Permission Denied:');
      expect(result.stdout).toContain('Verify Vault token or AWS credentials');
    });

    it('a migration to Vault stops at the first denied write (exit 4) and reports what was not attempted', async () => {
      const { cwd, ids } = await fileProjectWithKeys();
      const env = vaultEnv({ VAULT_TOKEN: await readOnlyToken() });
      const result = await cli(['migrate', '--from', 'encrypted_file', '--to', 'vault', ...ids, '--json'], {
        cwd,
        env,
      });
      expect(result.code).toBe(4);
      expect(json(result).results.map((r: { status: string }) => r.status)).toEqual([
        'failed',
        'not-attempted',
      ]);
    });
  });

  it('a refused token is ACCESS_DENIED (exit 4) with what to do', async () => {
    const result = await cli(['--store', 'vault', 'list'], {
      cwd: await initProject(),
      env: vaultEnv({ VAULT_TOKEN: 'hvs.not-a-token' }),
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('VAULT_TOKEN');
  });

  it('an unreachable server is UNAVAILABLE (exit 5)', async () => {
    const env = vaultEnv({ VAULT_ADDR: 'http://127.0.0.1:9', VAULT_MAX_RETRIES: '0' });
    const result = await cli(['--store', 'vault', 'list'], { cwd: await initProject(), env });
    expect(result.code).toBe(5);
  });

  it("no token at all is a configuration error (exit 6) in the Python Phlow's words", async () => {
    const env = vaultEnv({ VAULT_TOKEN: undefined });
    const result = await cli(['--store', 'vault', 'list'], { cwd: await initProject(), env });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('VAULT_TOKEN environment variable required for Vault key store');
  });
});

describe('AWS Secrets Manager (moto)', () => {
  beforeAll(() => {
    required('AWS_ENDPOINT_URL_SECRETS_MANAGER');
  });

  it('migrate encrypted_file -> aws: copies, reads back, resumes', async () => {
    const { cwd, ids } = await fileProjectWithKeys();
    const env = awsEnv();
    const result = await cli(['migrate', '--from', 'encrypted_file', '--to', 'aws', ...ids, '--json'], {
      cwd,
      env,
    });
    expect(result.code).toBe(0);
    expect(json(result).results.map((r: { status: string }) => r.status)).toEqual(['copied', 'copied']);
    for (const id of ids) {
      expect((await cli(['--store', 'aws', 'get', id], { cwd, env })).stdout).toBe(
        (await cli(['get', id], { cwd })).stdout,
      );
    }
    const again = await cli(['migrate', '--from', 'encrypted_file', '--to', 'aws', ...ids, '--json'], {
      cwd,
      env,
    });
    expect(json(again).results.map((r: { status: string }) => r.status)).toEqual(['skipped', 'skipped']);
  });

  it('rotate in AWS keeps the old key verifying; jwks holds both', async () => {
    const cwd = await initProject();
    const env = awsEnv({ PHLOW_KEY_STORE_TYPE: 'aws' });
    const id = uid('aws-rot');
    expect((await cli(['generate', id], { cwd, env })).code).toBe(0);
    const signature = (await cli(['sign', id, '--message', 'before'], { cwd, env })).stdout.trim();
    const rotated = json(await cli(['rotate', id, '--json'], { cwd, env }));
    expect(json(await cli(['jwks', id], { cwd, env })).keys.map((k: { kid: string }) => k.kid)).toEqual([
      rotated.kid,
      rotated.previousKid,
    ]);
    expect(
      (await cli(['verify', id, `--signature=${signature}`, '--message', 'before'], { cwd, env })).code,
    ).toBe(0);
  });

  it('doctor passes, writing and destroying its scratch key', async () => {
    const result = await cli(['--store', 'aws', 'doctor', '--json'], {
      cwd: await initProject(),
      env: awsEnv(),
    });
    expect(result.code).toBe(0);
    expect(json(result).ok).toBe(true);
  });
});
