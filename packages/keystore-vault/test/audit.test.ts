/**
 * Vault's own audit trail and the three minimal policies of the README ("Audit and policies"), against the
 * real server: a file audit device records our reads, writes and rotations with the token's accessor and
 * HMAC-ed values (never a PEM or the token), and each policy can do its job and is refused the rest with
 * ACCESS_DENIED.
 */
import { createPublicKey, verify as cryptoVerify, type JsonWebKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKeyStoreError, KeyManager, type KeyPair, newEd25519Pems } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestStore, sys, uid } from './helpers/vault.js';

/** The policies of the README, for the key ids under `phlow/keys/`. */
const SIGNING_AGENT = (keyId: string) => `
path "phlow/data/keys/${keyId}" { capabilities = ["read"] }
path "phlow/metadata/keys/${keyId}" { capabilities = ["read"] }
`;
const VERIFIER = `
path "phlow/metadata/keys/*" { capabilities = ["read", "list"] }
`;
const OPERATOR = `
path "phlow/data/keys/*" { capabilities = ["create", "update", "read"] }
path "phlow/metadata/keys/*" { capabilities = ["read", "list", "delete"] }
path "phlow/delete/keys/*" { capabilities = ["update"] }
`;

const pems = newEd25519Pems();
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** A token holding only `policy` (plus `default`), and its accessor. */
async function token(label: string, hcl: string): Promise<{ token: string; accessor: string }> {
  const name = uid(`policy-${label}`);
  await sys('PUT', `sys/policies/acl/${name}`, { policy: hcl });
  cleanups.push(() => sys('DELETE', `sys/policies/acl/${name}`));
  const created = await sys('POST', 'auth/token/create', { policies: [name], ttl: '10m' });
  return { token: created.auth.client_token, accessor: created.auth.accessor };
}

const manager = (vaultToken: string) =>
  new KeyManager({
    store: createTestStore({ env: { VAULT_TOKEN: vaultToken } }),
    env: {},
    rotationGracePeriodMs: 0,
    rotationDelayMs: 0,
  });

async function code(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isKeyStoreError(error), `expected a KeyStoreError, got ${String(error)}`).toBe(true);
  return (error as { code: string }).code;
}

describe('Vault file audit device', () => {
  it('records our reads, writes and rotations with the HMAC of the token accessor, and no PEM or token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'phlow-vault-audit-'));
    const file = join(dir, 'vault-audit.log');
    const device = uid('audit');
    await sys('PUT', `sys/audit/${device}`, { type: 'file', options: { file_path: file } });
    cleanups.push(() => sys('DELETE', `sys/audit/${device}`));

    const operator = await token('operator', OPERATOR);
    const keys = manager(operator.token);
    const keyId = uid('audited');
    const first = await keys.generateKeyPair(keyId);
    await keys.getKeyPair(keyId, { forceFetch: true });
    const signature = await keys.sign(keyId, 'audited message');
    const rotated = await keys.rotateKeyPair(keyId);
    await keys.deleteKeyPair(keyId, { destroy: true });
    await keys.close();

    // The accessor as this device writes it (hmac_accessor is on by default): Vault's own audit-hash.
    const hashed = (await sys('POST', `sys/audit-hash/${device}`, { input: operator.accessor })).data.hash;
    expect(hashed).toMatch(/^hmac-sha256:/);
    const dataPath = `phlow/data/keys/${keyId}`;
    let entries: {
      type: string;
      auth?: { accessor?: string };
      request?: { path?: string; operation?: string };
      response?: { data?: Record<string, unknown> };
    }[] = [];
    for (let i = 0; i < 200; i++) {
      // Every wait has a deadline: 200 rounds of 100 ms.
      entries = existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [];
      if (
        entries.some(
          (e) =>
            e.type === 'response' &&
            e.request?.path === `phlow/metadata/keys/${keyId}` &&
            e.request.operation === 'delete',
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const ours = entries.filter(
      (e) => e.request?.path?.endsWith(`keys/${keyId}`) || e.request?.path?.includes(`keys/${keyId}?`),
    );
    expect(ours.length).toBeGreaterThan(0);
    for (const e of ours) expect(e.auth?.accessor).toBe(hashed);
    const writes = ours.filter(
      (e) =>
        e.type === 'request' &&
        e.request?.path === dataPath &&
        ['create', 'update'].includes(e.request.operation ?? ''),
    );
    expect(writes.length).toBeGreaterThanOrEqual(2); // the generate and the rotation
    const reads = ours.filter(
      (e) => e.type === 'response' && e.request?.path === dataPath && e.request.operation === 'read',
    );
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      const data = read.response?.data?.data as Record<string, string> | undefined;
      expect(data?.private_key).toMatch(/^hmac-sha256:/);
      expect(data?.public_key).toMatch(/^hmac-sha256:/);
    }

    const text = readFileSync(file, 'utf8');
    // KV v2 keeps exportable keys: the rotated pair is a full KeyPair.
    for (const pem of [first.privateKey, (rotated.keyPair as KeyPair).privateKey, first.publicKey]) {
      expect(text).not.toContain(pem.split('\n')[1]);
    }
    expect(text).not.toContain(operator.token);
    expect(text).not.toContain(Buffer.from(signature).toString('base64'));
  });
});

describe('minimal policies (README "Audit and policies")', () => {
  it('signing agent: reads and signs with its own key; writes, deletes, other keys and listing are ACCESS_DENIED', async () => {
    const admin = manager((await token('admin', OPERATOR)).token);
    const mine = uid('agent');
    const other = uid('other');
    await admin.generateKeyPair(mine);
    await admin.generateKeyPair(other);
    cleanups.push(async () => {
      await admin.deleteKeyPair(mine, { destroy: true });
      await admin.deleteKeyPair(other, { destroy: true });
      await admin.close();
    });

    const agent = manager((await token('agent', SIGNING_AGENT(mine))).token);
    cleanups.push(() => agent.close());
    const signature = await agent.sign(mine, 'm');
    expect(await agent.verify(mine, 'm', signature)).toBe(true);
    expect(await code(agent.getKeyPair(other))).toBe('ACCESS_DENIED');
    expect(await code(agent.rotateKeyPair(mine))).toBe('ACCESS_DENIED');
    expect(await code(agent.generateKeyPair(uid('new')))).toBe('ACCESS_DENIED');
    expect(await code(agent.deleteKeyPair(mine))).toBe('ACCESS_DENIED');
    expect(await code(agent.jwks())).toBe('ACCESS_DENIED'); // listing every id
  });

  it('verifier: lists ids and versions, verifies through the published JWK Set, and is refused every key read and write', async () => {
    const admin = manager((await token('admin2', OPERATOR)).token);
    const keyId = uid('verified');
    await admin.generateKeyPair(keyId);
    cleanups.push(async () => {
      await admin.deleteKeyPair(keyId, { destroy: true });
      await admin.close();
    });
    const signature = await admin.sign(keyId, 'payload');
    const published = await admin.jwks([keyId]);

    const verifierStore = createTestStore({
      env: { VAULT_TOKEN: (await token('verifier', VERIFIER)).token },
    });
    cleanups.push(() => verifierStore.close());
    expect(await verifierStore.listKeyIds()).toContain(keyId);
    // Both halves live in one secret: a token that may read the public key may read the private key too,
    // so the verifier reads neither and verifies with the JWK Set the signer publishes.
    expect(await code(verifierStore.getPublicKey(keyId))).toBe('ACCESS_DENIED');
    expect(await code(verifierStore.getKeyPair!(keyId))).toBe('ACCESS_DENIED');
    expect(await code(verifierStore.getKeyVersions!(keyId))).toBe('ACCESS_DENIED');
    expect(await code(verifierStore.storeKeyPair(keyId, pems.privateKey, pems.publicKey))).toBe(
      'ACCESS_DENIED',
    );
    expect(await code(verifierStore.deleteKeyPair(keyId))).toBe('ACCESS_DENIED');
    const jwk = published.keys[0]!;
    const key = createPublicKey({ key: jwk as unknown as JsonWebKey, format: 'jwk' });
    expect(cryptoVerify(null, Buffer.from('payload'), key, signature)).toBe(true);
  });

  it('operator: generates, rotates, deletes and destroys; keys outside keys/ and the mount config are ACCESS_DENIED', async () => {
    const { token: operatorToken } = await token('operator2', OPERATOR);
    const keys = manager(operatorToken);
    cleanups.push(() => keys.close());
    const keyId = uid('operated');
    await keys.generateKeyPair(keyId);
    const rotated = await keys.rotateKeyPair(keyId);
    expect((await keys.refresh(keyId)).kid).toBe(rotated.kid); // delay 0: the new key signs at once
    await keys.deleteKeyPair(keyId);
    expect(await code(keys.getKeyPair(keyId, { forceFetch: true }))).toBe('NOT_FOUND');
    await keys.generateKeyPair(keyId, { overwrite: true });
    await keys.deleteKeyPair(keyId, { destroy: true });
    expect(await sys('GET', `phlow/metadata/keys/${keyId}`).catch((e: Error) => e.message)).toMatch(/404/);

    const outside = createTestStore({ prefix: 'elsewhere/', env: { VAULT_TOKEN: operatorToken } });
    cleanups.push(() => outside.close());
    expect(await code(outside.storeKeyPair(uid('x'), pems.privateKey, pems.publicKey))).toBe('ACCESS_DENIED');
    expect(await code(outside.getPublicKey(uid('x')))).toBe('ACCESS_DENIED');
  });
});
