// TLS options against a second real Vault dev server that serves HTTPS (`vault server -dev -dev-tls`), started
// and stopped by this file: a server certificate from an unknown CA is INVALID_CONFIG pointing at VAULT_CACERT,
// and VAULT_CACERT (or VAULT_SKIP_VERIFY) makes it work.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { newEd25519Pems } from '@phlow/keys-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultKeyStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'phlow-vault-tls-'));
const caFile = join(dir, 'vault-ca.pem');
const rootToken = 'phlow-tls-root';
let server: ChildProcess | undefined;
let address = '';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const healthy = () =>
  new Promise<boolean>((resolve) => {
    if (!existsSync(caFile)) return resolve(false);
    get(`${address}/v1/sys/health`, { ca: readFileSync(caFile) }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });

beforeAll(async () => {
  const bin = process.env.PHLOW_VAULT_BIN;
  if (!bin)
    throw new Error('PHLOW_VAULT_BIN is not set: run these tests through tooling/services/with-services.sh');
  const port = await freePort();
  address = `https://127.0.0.1:${port}`;
  server = spawn(
    bin,
    [
      'server',
      '-dev',
      '-dev-tls',
      `-dev-tls-cert-dir=${dir}`,
      `-dev-listen-address=127.0.0.1:${port}`,
      `-dev-root-token-id=${rootToken}`,
      '-dev-no-store-token',
    ],
    { env: { PATH: process.env.PATH, HOME: dir }, stdio: 'ignore' },
  );
  for (let i = 0; !(await healthy()); i++) {
    if (i > 300 || server.exitCode !== null) throw new Error('the TLS Vault dev server did not start');
    await sleep(100);
  }
});

afterAll(() => {
  server?.kill();
});

const env = (extra: Record<string, string> = {}) => ({
  VAULT_ADDR: address,
  VAULT_TOKEN: rootToken,
  HOME: dir,
  ...extra,
});

describe('TLS', () => {
  it('a certificate from an unknown CA is INVALID_CONFIG pointing at VAULT_CACERT', async () => {
    const store = createVaultKeyStore({ env: env(), onWarning: () => {} });
    await expect(store.checkConnection()).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('set VAULT_CACERT'),
    });
  });

  it('VAULT_CACERT makes the connection work: a key round trip over HTTPS', async () => {
    // dev mode mounts KV v2 at secret/
    const store = createVaultKeyStore({
      env: env({ VAULT_CACERT: caFile, PHLOW_VAULT_MOUNT: 'secret' }),
      onWarning: () => {},
    });
    expect(await store.checkConnection()).toMatchObject({ address, kvVersion: '2' });
    const pair = newEd25519Pems();
    await store.storeKeyPair('tls-agent', pair.privateKey, pair.publicKey);
    expect(await store.getKeyPair('tls-agent')).toMatchObject(pair);
  });

  it('VAULT_SKIP_VERIFY accepts any certificate', async () => {
    const store = createVaultKeyStore({ env: env({ VAULT_SKIP_VERIFY: 'true' }), onWarning: () => {} });
    await expect(store.checkConnection()).resolves.toMatchObject({ address });
  });
});
