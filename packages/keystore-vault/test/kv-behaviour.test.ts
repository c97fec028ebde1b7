// KV v2 specifics against the real server: compare-and-set, rotation races, writes whose answer is lost,
// retried reads, soft-deleted ids, and the retention warnings.
import { KeyManager, newEd25519Pems } from '@phlow/keys-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type VaultProxy } from './helpers/proxy.js';
import { createTestStore, enableKv, sys, testVault, trackedIds, uid, vaultCli } from './helpers/vault.js';

const store = createTestStore();
const id = trackedIds(store);

describe('compare-and-set', () => {
  it('maps expectedVersion to cas: versions count up, a stale one is CONFLICT', async () => {
    const keyId = id('cas');
    const [a, b, c] = [newEd25519Pems(), newEd25519Pems(), newEd25519Pems()];
    await store.storeKeyPair(keyId, a.privateKey, a.publicKey, { expectedVersion: null });
    await store.storeKeyPair(keyId, b.privateKey, b.publicKey, { expectedVersion: '1' });
    await expect(
      store.storeKeyPair(keyId, c.privateKey, c.publicKey, { expectedVersion: '1' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(
      store.storeKeyPair(keyId, c.privateKey, c.publicKey, { expectedVersion: 'v2' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect((await store.getKeyVersions(keyId)).map((v) => [v.version, v.current])).toEqual([
      ['2', true],
      ['1', false],
    ]);
  });

  it('create-only works again on a soft-deleted id, and the version numbers go on', async () => {
    const keyId = id('recreate');
    const [a, b] = [newEd25519Pems(), newEd25519Pems()];
    await store.storeKeyPair(keyId, a.privateKey, a.publicKey, { expectedVersion: null });
    await store.deleteKeyPair(keyId);
    expect(await store.listKeyIds()).not.toContain(keyId);
    await store.storeKeyPair(keyId, b.privateKey, b.publicKey, { expectedVersion: null });
    expect(await store.getKeyPair(keyId)).toMatchObject({ publicKey: b.publicKey, version: '2' });
    expect(await store.listKeyIds()).toContain(keyId);
    await expect(
      store.storeKeyPair(keyId, a.privateKey, a.publicKey, { expectedVersion: null }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });

  it('of 10 concurrent KeyManager rotations from the same version exactly one wins; the others get CONFLICT', async () => {
    const keyId = id('race');
    await new KeyManager({ store, env: {} }).generateKeyPair(keyId);
    // Every contender reads the current version before any of them writes. Without this barrier a contender
    // whose read Vault serves after another's write sees the new version and rightly rotates again after it.
    const contenders = 10;
    let read = 0;
    let release!: () => void;
    const allRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gated = {
      ...store,
      async getKeyPair(keyId: string) {
        const pair = await store.getKeyPair(keyId);
        if (++read === contenders) release();
        await allRead;
        return pair;
      },
    };
    const results = await Promise.allSettled(
      Array.from({ length: contenders }, () =>
        new KeyManager({ store: gated, env: {} }).rotateKeyPair(keyId),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONFLICT' });
    const versions = await store.getKeyVersions(keyId);
    expect(versions.map((v) => v.version)).toEqual(['2', '1']);
    expect(versions[0]?.publicKey).toBe(
      (won[0] as PromiseFulfilledResult<{ keyPair: { publicKey: string } }>).value.keyPair.publicKey,
    );
  });
});

describe('a soft-deleted current version makes the id absent everywhere', () => {
  it('after `vault kv delete` (newest version only) no older version is returned or verifies', async () => {
    const keyId = id('cli-delete');
    const manager = new KeyManager({ store, env: {}, cache: { ttlMs: 0 } });
    await manager.generateKeyPair(keyId);
    const signature = await manager.sign(keyId, 'hello');
    await manager.rotateKeyPair(keyId);
    expect(await manager.verify(keyId, 'hello', signature)).toBe(true);

    await vaultCli(['kv', 'delete', `phlow/keys/${keyId}`]);
    expect(await store.getKeyVersions(keyId)).toEqual([]);
    expect(await store.getKeyPair(keyId)).toBeNull();
    expect(await store.listKeyIds()).not.toContain(keyId);
    // KeyManager reports an id with no versions as NOT_FOUND: the old key no longer verifies.
    const fresh = new KeyManager({ store, env: {} });
    await expect(fresh.verify(keyId, 'hello', signature)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(manager.verify(keyId, 'hello', signature)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('the same after DELETE data/ over HTTP', async () => {
    const keyId = id('http-delete');
    const [a, b] = [newEd25519Pems(), newEd25519Pems()];
    await store.storeKeyPair(keyId, a.privateKey, a.publicKey);
    await store.storeKeyPair(keyId, b.privateKey, b.publicKey);
    await sys('DELETE', `phlow/data/keys/${keyId}`);
    expect(await store.getKeyVersions(keyId)).toEqual([]);
  });

  it('a compare-and-set naming a soft-deleted current version is CONFLICT and writes nothing', async () => {
    const keyId = id('cas-deleted');
    const [a, b, c] = [newEd25519Pems(), newEd25519Pems(), newEd25519Pems()];
    await store.storeKeyPair(keyId, a.privateKey, a.publicKey);
    await store.storeKeyPair(keyId, b.privateKey, b.publicKey);
    await vaultCli(['kv', 'delete', `phlow/keys/${keyId}`]);
    await expect(
      store.storeKeyPair(keyId, c.privateKey, c.publicKey, { expectedVersion: '2' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await store.deleteKeyPair(keyId);
    await expect(
      store.storeKeyPair(keyId, c.privateKey, c.publicKey, { expectedVersion: '2' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    const meta = await sys('GET', `phlow/metadata/keys/${keyId}`);
    expect(meta.data.current_version).toBe(2);
    expect(await store.getKeyPair(keyId)).toBeNull();
    // Creating it anew still works.
    await store.storeKeyPair(keyId, c.privateKey, c.publicKey, { expectedVersion: null });
    expect(await store.getKeyPair(keyId)).toMatchObject({ publicKey: c.publicKey, version: '3' });
  });
});

describe('through a proxy that loses answers and fails requests', () => {
  let proxy: VaultProxy;
  let proxied: ReturnType<typeof createTestStore>;
  beforeAll(async () => {
    proxy = await startProxy(testVault().address);
    proxied = createTestStore({ address: proxy.address });
  });
  afterEach(() => {
    proxy.requests.length = 0;
  });
  afterAll(() => proxy.close());

  it('a write whose answer is lost is read back, not repeated: exactly one version', async () => {
    const keyId = id('lost-answer');
    const pair = newEd25519Pems();
    proxy.dropAnswerOnce((r) => r.method === 'POST' && r.path.includes('/data/'));
    await proxied.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    expect(proxy.count(`phlow/data/keys/${keyId}`, 'POST')).toBe(1);
    expect((await store.getKeyVersions(keyId)).map((v) => v.version)).toEqual(['1']);
  });

  it('a compare-and-set write whose answer is lost succeeds once, and reads back the version it made', async () => {
    const keyId = id('lost-cas');
    const [a, b] = [newEd25519Pems(), newEd25519Pems()];
    await store.storeKeyPair(keyId, a.privateKey, a.publicKey);
    proxy.dropAnswerOnce((r) => r.method === 'POST' && r.path.includes('/data/'));
    await proxied.storeKeyPair(keyId, b.privateKey, b.publicKey, { expectedVersion: '1' });
    expect((await store.getKeyVersions(keyId)).map((v) => [v.version, v.publicKey])).toEqual([
      ['2', b.publicKey],
      ['1', a.publicKey],
    ]);
  });

  it('a write answered 502 that never reached Vault is found missing and sent again', async () => {
    const keyId = id('not-applied');
    const pair = newEd25519Pems();
    proxy.failNext(1, 502);
    await proxied.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    expect(proxy.count(`phlow/data/keys/${keyId}`, 'POST')).toBe(2);
    expect((await store.getKeyVersions(keyId)).map((v) => v.version)).toEqual(['1']);
  });

  it('a write that times out after reaching Vault is read back, not repeated: exactly one version', async () => {
    const keyId = id('timeout-write');
    const pair = newEd25519Pems();
    const slow = createTestStore({ address: proxy.address, timeoutMs: 300 });
    proxy.delayAnswerOnce((r) => r.method === 'POST' && r.path.includes('/data/'), 1500);
    await slow.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    expect(proxy.count(`phlow/data/keys/${keyId}`, 'POST')).toBe(1);
    expect((await store.getKeyVersions(keyId)).map((v) => v.version)).toEqual(['1']);
  });

  it('a read that gets no answer in time is UNAVAILABLE naming the address and the limit', async () => {
    const slow = createTestStore({ address: proxy.address, timeoutMs: 200, maxRetries: 0 });
    proxy.delayAnswerOnce((r) => r.method === 'GET', 1000);
    await expect(slow.getPublicKey(id('timeout-read'))).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining(`Vault at ${proxy.address} did not answer within 200 ms`),
    });
  });

  it('a soft delete deletes again a version written between its metadata read and its delete', async () => {
    const keyId = id('delete-race');
    const [a, b] = [newEd25519Pems(), newEd25519Pems()];
    await store.storeKeyPair(keyId, a.privateKey, a.publicKey);
    proxy.delayAnswerOnce((r) => r.method === 'GET' && r.path === `phlow/metadata/keys/${keyId}`, 800);
    const deleting = proxied.deleteKeyPair(keyId);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Written after Vault answered the metadata read, before the delete that answer leads to.
    await store.storeKeyPair(keyId, b.privateKey, b.publicKey, { expectedVersion: '1' });
    await deleting;
    expect(proxy.count(`phlow/delete/keys/${keyId}`, 'POST')).toBe(2);
    expect(await store.getKeyPair(keyId)).toBeNull();
    expect(await store.getKeyVersions(keyId)).toEqual([]);
    expect(await store.describeKey(keyId)).toMatchObject({ state: 'deleted', version: '2' });
  });

  it('sends VAULT_NAMESPACE as X-Vault-Namespace', async () => {
    const scoped = createTestStore({ address: proxy.address, env: { VAULT_NAMESPACE: 'team-a' } });
    await scoped.getPublicKey(id('namespace')).catch(() => undefined); // Vault OSS has no namespaces
    expect(proxy.requests.at(-1)?.namespace).toBe('team-a');
  });

  it('reads are retried after 5xx and 429, within maxRetries', async () => {
    const keyId = id('retry');
    const pair = newEd25519Pems();
    await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    proxy.failNext(3, 503);
    expect(await proxied.getPublicKey(keyId)).toBe(pair.publicKey);
    expect(proxy.count(`phlow/data/keys/${keyId}`, 'GET')).toBe(4);

    proxy.failNext(3, 429);
    const once = createTestStore({ address: proxy.address, maxRetries: 1 });
    await expect(once.getPublicKey(keyId)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('429'),
    });
    proxy.failNext(0);
  });
});

describe('retention warnings', () => {
  const mount = `phlow-mv1-${uid('m')}`;
  beforeAll(() => enableKv(mount, '2', { max_versions: 1 }));
  afterAll(() => sys('DELETE', `sys/mounts/${mount}`));

  it('warns at start-up when the mount keeps one version: rotation grace is impossible', async () => {
    const warnings: string[] = [];
    const s = createTestStore({ mount, onWarning: (w) => warnings.push(w) });
    await s.checkConnection();
    await s.checkConnection();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`mount "${mount}" keeps only 1 version`);
    expect(warnings[0]).toContain('rotation grace is impossible');
  });

  it('warns before rotating a key whose own max_versions is 1 (a rotation without grace)', async () => {
    const keyId = id('mv1');
    const warnings: string[] = [];
    const s = createTestStore({ rotationGracePeriodMs: 0, onWarning: (w) => warnings.push(w) });
    const [a, b] = [newEd25519Pems(), newEd25519Pems()];
    await s.storeKeyPair(keyId, a.privateKey, a.publicKey);
    await sys('POST', `phlow/metadata/keys/${keyId}`, { max_versions: 1 });
    await s.storeKeyPair(keyId, b.privateKey, b.publicKey, { expectedVersion: '1' });
    expect(warnings.join('\n')).toContain(
      `key phlow/keys/${keyId} keeps only 1 version (max_versions of the key)`,
    );
    expect((await s.getKeyVersions(keyId)).map((v) => v.version)).toEqual(['2']);
  });
});

describe('rotations within one grace period', () => {
  it('three rotations in a row keep all four versions (Vault keeps 10 by default)', async () => {
    const keyId = id('grace-4');
    const s = createTestStore();
    const km = new KeyManager({ store: s, env: {}, rotationGracePeriodMs: 3_600_000 });
    const first = await km.generateKeyPair(keyId);
    const signed = await km.sign(keyId, 'payload');
    const keys = [first.publicKey];
    for (let i = 0; i < 3; i++) keys.push((await km.rotateKeyPair(keyId)).keyPair.publicKey);
    const versions = await s.getKeyVersions(keyId);
    expect(versions.map((v) => v.publicKey)).toEqual([...keys].reverse());
    expect(versions.map((v) => v.version)).toEqual(['4', '3', '2', '1']);
    for (const v of versions) expect(v.createdAt).toBeInstanceOf(Date);
    expect(await km.verify(keyId, 'payload', signed)).toBe(true);
  });

  it('a rotation that would make Vault destroy a version still in grace is refused, writing nothing', async () => {
    const keyId = id('grace-lost');
    const s = createTestStore({ rotationGracePeriodMs: 3_600_000 });
    const pairs = Array.from({ length: 4 }, () => newEd25519Pems());
    await s.storeKeyPair(keyId, pairs[0]!.privateKey, pairs[0]!.publicKey);
    await sys('POST', `phlow/metadata/keys/${keyId}`, { max_versions: 3 });
    await s.storeKeyPair(keyId, pairs[1]!.privateKey, pairs[1]!.publicKey, { expectedVersion: '1' });
    await s.storeKeyPair(keyId, pairs[2]!.privateKey, pairs[2]!.publicKey, { expectedVersion: '2' });
    const refused = s.storeKeyPair(keyId, pairs[3]!.privateKey, pairs[3]!.publicKey, {
      expectedVersion: '3',
    });
    await expect(refused).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('would make Vault destroy version 1, which still verifies until'),
    });
    await expect(refused).rejects.toMatchObject({
      message: expect.stringContaining('max_versions'),
    });
    expect((await s.getKeyVersions(keyId)).map((v) => v.version)).toEqual(['3', '2', '1']);

    // Without a grace period (PHLOW_KEY_ROTATION_GRACE_SECONDS=0) the same rotation goes ahead.
    const noGrace = createTestStore({ env: { PHLOW_KEY_ROTATION_GRACE_SECONDS: '0' } });
    await noGrace.storeKeyPair(keyId, pairs[3]!.privateKey, pairs[3]!.publicKey, { expectedVersion: '3' });
    expect((await s.getKeyVersions(keyId)).map((v) => v.version)).toEqual(['4', '3', '2']);
  });
});
