// Policies, tokens and configuration mistakes against the real server: each is a distinct, actionable error.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createKeyStoreFromEnv, isKeyStoreError } from '@phlow/keys-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import provider from '../src/index.js';
import {
  createTestStore,
  enableKv,
  storeEnv,
  sys,
  testVault,
  tokenWithPolicy,
  uid,
} from './helpers/vault.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const keyBody = privateKey.split('\n')[1]!;

async function failure(promise: Promise<unknown>): Promise<Error & { code: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isKeyStoreError(error), `expected a KeyStoreError, got ${String(error)}`).toBe(true);
  const e = error as Error & { code: string };
  expect(`${e.message}${e.stack}${JSON.stringify(e)}${String(e.cause)}`).not.toContain(keyBody);
  return e;
}

describe('Vault policies', () => {
  const suffix = uid('acl');
  const keyId = uid('acl-key');
  let readOnly: string;
  let noAccess: string;

  beforeAll(async () => {
    await createTestStore().storeKeyPair(keyId, privateKey, publicKey);
    readOnly = await tokenWithPolicy(
      `phlow-read-${suffix}`,
      'path "phlow/data/keys/*" { capabilities = ["read"] }\npath "phlow/metadata/keys/*" { capabilities = ["read", "list"] }',
    );
    noAccess = await tokenWithPolicy(`phlow-none-${suffix}`, 'path "secret/*" { capabilities = ["read"] }');
  });
  afterAll(async () => {
    await createTestStore().deleteKeyPair(keyId, { destroy: true });
    await sys('DELETE', `sys/policies/acl/phlow-read-${suffix}`);
    await sys('DELETE', `sys/policies/acl/phlow-none-${suffix}`);
  });

  it('a read-only token reads, and its write is ACCESS_DENIED naming the path and the policy', async () => {
    const store = createTestStore({ env: { VAULT_TOKEN: readOnly } });
    expect(await store.getPublicKey(keyId)).toBe(publicKey);
    const e = await failure(store.storeKeyPair(keyId, privateKey, publicKey));
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain(
      `the Vault token is not allowed to write phlow/data/keys/${keyId}: check its policy`,
    );
    expect(await createTestStore().getPublicKey(keyId)).toBe(publicKey);
  });

  it('a token without access gets ACCESS_DENIED on read, never null or "not found"', async () => {
    const store = createTestStore({ env: { VAULT_TOKEN: noAccess } });
    const e = await failure(store.getPrivateKey(keyId));
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain(`not allowed to read phlow/data/keys/${keyId}`);
    expect((await failure(store.listKeyIds())).code).toBe('ACCESS_DENIED');
  });

  it('the start-up check refuses an invalid token with ACCESS_DENIED', async () => {
    const e = await failure(
      provider.create({ env: storeEnv({ VAULT_TOKEN: 'hvs.not-a-token' }), onWarning: () => {} }),
    );
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain('refused the token');
  });

  it('the start-up check refuses a valid token with no rights under the mount, naming what it lacks', async () => {
    const e = await failure(
      provider.create({ env: storeEnv({ VAULT_TOKEN: noAccess }), onWarning: () => {} }),
    );
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain('has no right to read keys');
    expect(e.message).toContain('read on phlow/data/keys/*');
    expect(e.message).toContain('list on phlow/metadata/keys/');
  });

  it('the start-up check passes a read-only token and warns about each capability it lacks', async () => {
    const warnings: string[] = [];
    const store = await provider.create({
      env: storeEnv({ VAULT_TOKEN: readOnly }),
      onWarning: (w) => warnings.push(w),
    });
    const lacks = [
      'create on phlow/data/keys/*',
      'update on phlow/data/keys/*',
      'update on phlow/delete/keys/*',
    ];
    expect(warnings.filter((w) => w.includes('lacks'))).toHaveLength(1);
    for (const what of lacks) expect(warnings.join('\n')).toContain(what);
    const info = await store.checkConnection();
    expect(info.missingCapabilities).toEqual([...lacks, 'delete on phlow/metadata/keys/*']);
    expect(await store.getPublicKey(keyId)).toBe(publicKey);
  });

  it('the provider checks the connection and returns a working store', async () => {
    const store = await provider.create({ env: storeEnv(), onWarning: () => {} });
    const info = await store.checkConnection();
    expect(info).toMatchObject({
      address: testVault().address,
      mount: 'phlow',
      kvVersion: '2',
      missingCapabilities: [],
    });
    expect(await store.getPublicKey(keyId)).toBe(publicKey);
  });
});

describe('PHLOW_KEY_STORE_TYPE=vault', () => {
  it('loads this package through the resolver, which checks the token at start-up', async () => {
    // The application is this package (its own tests): named, since a built-in store name is never looked up
    // from the working directory (resolver-cwd.test.ts in core).
    const app = { cwd: join(import.meta.dirname, '..') };
    const store = await createKeyStoreFromEnv({ ...storeEnv(), PHLOW_KEY_STORE_TYPE: 'vault' }, app);
    expect(store.type).toBe('vault');
    expect(store.capabilities).toEqual({
      write: true,
      readPair: true,
      list: true,
      versions: true,
      activation: true,
    });
    const e = await failure(
      createKeyStoreFromEnv({ ...storeEnv({ VAULT_TOKEN: 'hvs.bad' }), PHLOW_KEY_STORE_TYPE: 'vault' }, app),
    );
    expect(e.code).toBe('ACCESS_DENIED');
    const missing = await failure(
      createKeyStoreFromEnv({ ...storeEnv({ VAULT_TOKEN: undefined }), PHLOW_KEY_STORE_TYPE: 'vault' }, app),
    );
    expect(missing.code).toBe('INVALID_CONFIG');
    expect(missing.message).toContain('VAULT_TOKEN environment variable required for Vault key store');
  });
});

describe('configuration mistakes', () => {
  const v1 = `kv1-${uid('m')}`;
  beforeAll(() => enableKv(v1, '1'));
  afterAll(() => sys('DELETE', `sys/mounts/${v1}`));

  it('a mount that does not exist is INVALID_CONFIG saying how to enable it', async () => {
    const e = await failure(createTestStore({ mount: 'no-such-mount' }).getPrivateKey('a'));
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toContain('vault secrets enable -path=no-such-mount kv-v2');
  });

  it('a KV version 1 mount is refused at start-up', async () => {
    const e = await failure(createTestStore({ mount: v1 }).checkConnection());
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toContain('not KV version 2');
  });

  it('an address where nothing listens is UNAVAILABLE naming it', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const address = `http://127.0.0.1:${port}`;
    const e = await failure(provider.create({ env: storeEnv({ VAULT_ADDR: address }), maxRetries: 0 }));
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toContain(address);
    const w = await failure(
      createTestStore({ address, maxRetries: 1 }).storeKeyPair('a', privateKey, publicKey),
    );
    expect(w.code).toBe('UNAVAILABLE');
  });
});
