// Tokens against the real server. AppRole: renewal before expiry, a new login after expiry or revocation, no
// login storm on policy denials, the token revoked on close. A given token renewed once its TTL is known, and
// a token file read again when Vault refuses its token. Token TTLs are a few seconds, so some tests wait for
// Vault's clock; they assert what happened, never how long it took.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { newEd25519Pems } from '@phlow/keys-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type VaultProxy } from './helpers/proxy.js';
import { createTestStore, storeEnv, sys, testVault, uid } from './helpers/vault.js';

const suffix = uid('ar');
const mount = `approle-${suffix}`;
const policy = `phlow-rw-${suffix}`;
const keyId = uid('approle-key');
const pair = newEd25519Pems();
let proxy: VaultProxy;

async function role(name: string, settings: Record<string, unknown>) {
  await sys('POST', `auth/${mount}/role/${name}`, { token_policies: [policy], ...settings });
  const roleId = (await sys('GET', `auth/${mount}/role/${name}/role-id`)).data.role_id as string;
  const secretId = (await sys('POST', `auth/${mount}/role/${name}/secret-id`, {})).data.secret_id as string;
  return { roleId, secretId };
}

function appRoleStore(creds: { roleId: string; secretId: string }) {
  return createTestStore({
    address: proxy.address,
    appRoleMount: mount,
    env: storeEnv({ VAULT_TOKEN: undefined, VAULT_ROLE_ID: creds.roleId, VAULT_SECRET_ID: creds.secretId }),
  });
}

const logins = () => proxy.count(`auth/${mount}/login`, 'POST');

beforeAll(async () => {
  await sys('POST', `sys/auth/${mount}`, { type: 'approle' });
  await sys('PUT', `sys/policies/acl/${policy}`, {
    policy: 'path "phlow/data/keys/*" { capabilities = ["create", "read", "update"] }',
  });
  await createTestStore().storeKeyPair(keyId, pair.privateKey, pair.publicKey);
  proxy = await startProxy(testVault().address);
});
afterEach(() => {
  proxy.requests.length = 0;
});
afterAll(async () => {
  await proxy?.close();
  await createTestStore().deleteKeyPair(keyId, { destroy: true });
  await sys('DELETE', `sys/auth/${mount}`);
  await sys('DELETE', `sys/policies/acl/${policy}`);
});

describe('AppRole', () => {
  it('logs in on first use and shares one login between concurrent calls', async () => {
    const store = appRoleStore(await role('first', { token_ttl: '60s' }));
    const keys = await Promise.all(Array.from({ length: 5 }, () => store.getPublicKey(keyId)));
    expect(keys).toEqual(Array(5).fill(pair.publicKey));
    expect(logins()).toBe(1);
  });

  it('renews its token with renew-self before it expires, without logging in again', async () => {
    const store = appRoleStore(await role('renew', { token_ttl: '3s', token_max_ttl: '60s' }));
    expect(await store.getPublicKey(keyId)).toBe(pair.publicKey);
    await sleep(2200); // past two thirds of the TTL, before expiry
    expect(await store.getPublicKey(keyId)).toBe(pair.publicKey);
    expect(proxy.count('auth/token/renew-self', 'POST')).toBe(1);
    expect(logins()).toBe(1);
  });

  it('logs in again once its token expired', async () => {
    const store = appRoleStore(await role('expire', { token_ttl: '1s', token_max_ttl: '1s' }));
    expect(await store.getPublicKey(keyId)).toBe(pair.publicKey);
    await sleep(1500);
    expect(await store.getPublicKey(keyId)).toBe(pair.publicKey);
    expect(logins()).toBe(2);
  });

  it('logs in again when Vault refuses a revoked token (403), and repeats the call', async () => {
    const store = appRoleStore(await role('revoke', { token_ttl: '10m' }));
    expect(await store.getPublicKey(keyId)).toBe(pair.publicKey);
    const token = proxy.requests.find((r) => r.path.startsWith('phlow/'))?.token;
    await sys('POST', 'auth/token/revoke', { token });
    const next = newEd25519Pems();
    await store.storeKeyPair(keyId, next.privateKey, next.publicKey);
    expect(await store.getPublicKey(keyId)).toBe(next.publicKey);
    expect(logins()).toBe(2);
    expect(proxy.count('auth/token/lookup-self')).toBe(1);
  });

  it('a policy denial is ACCESS_DENIED and does not log in again', async () => {
    const store = appRoleStore(await role('denied', { token_ttl: '10m' }));
    await expect(store.listKeyIds()).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(store.listKeyIds()).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(logins()).toBe(1);
  });

  it('a wrong secret id is ACCESS_DENIED naming VAULT_SECRET_ID', async () => {
    const { roleId } = await role('wrong', {});
    const store = appRoleStore({ roleId, secretId: '00000000-0000-0000-0000-000000000000' });
    await expect(store.getPublicKey(keyId)).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      message: expect.stringContaining('VAULT_SECRET_ID'),
    });
  });

  it('close() revokes the token it logged in for', async () => {
    const store = appRoleStore(await role('close', { token_ttl: '10m' }));
    await store.getPublicKey(keyId);
    const token = proxy.requests.find((r) => r.path.startsWith('phlow/'))?.token;
    await store.close();
    await store.close();
    await expect(sys('POST', 'auth/token/lookup', { token })).rejects.toThrow(
      /HTTP 403|bad token|invalid token/,
    );
  });
});

describe('a given token', () => {
  it('is renewed with renew-self before it expires, once checkConnection learnt its TTL', async () => {
    const token = (
      await sys('POST', 'auth/token/create', { policies: [policy], ttl: '3s', explicit_max_ttl: '60s' })
    ).auth.client_token as string;
    const store = createTestStore({ address: proxy.address, env: storeEnv({ VAULT_TOKEN: token }) });
    expect(await store.checkConnection()).toMatchObject({ tokenRenewable: true });
    await sleep(2200);
    expect(await store.getPublicKey(keyId)).toBeTypeOf('string');
    expect(proxy.count('auth/token/renew-self', 'POST')).toBe(1);
    await sleep(1500); // past the first TTL: the renewed token still works
    expect(await store.getPublicKey(keyId)).toBeTypeOf('string');
  });
});

describe('a token file', () => {
  it('is read again when Vault refuses its token, so a rewritten file (Vault Agent sink) is picked up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'phlow-token-file-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'hvs.revoked-or-wrong\n');
    const store = createTestStore({
      env: storeEnv({ VAULT_TOKEN: undefined, PHLOW_VAULT_TOKEN_FILE: file }),
    });
    await expect(store.getPublicKey(keyId)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    const token = (await sys('POST', 'auth/token/create', { policies: [policy], ttl: '10m' })).auth
      .client_token as string;
    writeFileSync(file, `${token}\n`);
    expect(await store.getPublicKey(keyId)).toBeTypeOf('string');
  });
});
