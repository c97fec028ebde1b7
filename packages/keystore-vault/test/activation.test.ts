// The activation time of a version (capability `activation`), on the real Vault: `activates_at` (ISO 8601, ms
// precision) beside private_key / public_key in the version's data, read back on getKeyPair and getKeyVersions.
// A version in the Python layout (no activates_at, written with the Vault CLI) or with an unparseable one reads
// without it, and the Vault CLI still reads a version written with it.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyManager } from '@phlow/keys-core';
import { describe, expect, it } from 'vitest';
import { createTestStore, trackedIds, vaultCli } from './helpers/vault.js';

function pems() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

describe('Vault KV activates_at', () => {
  const store = createTestStore();
  const id = trackedIds(store);

  it('declares the activation capability', () => {
    expect(store.capabilities.activation).toBe(true);
  });

  it('a version written with activatesAt reads back with it (ms precision), on getKeyPair and getKeyVersions', async () => {
    const keyId = id('activation');
    const first = pems();
    const second = pems();
    const at1 = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    const at2 = new Date(at1.getTime() + 5_001);
    await store.storeKeyPair(keyId, first.privateKey, first.publicKey, { activatesAt: at1 });
    await store.storeKeyPair(keyId, second.privateKey, second.publicKey, {
      expectedVersion: '1',
      activatesAt: at2,
    });

    expect((await store.getKeyPair(keyId))?.activatesAt?.getTime()).toBe(at2.getTime());
    const versions = await store.getKeyVersions(keyId);
    expect(versions.map((v) => [v.version, v.activatesAt?.toISOString()])).toEqual([
      ['2', at2.toISOString()],
      ['1', at1.toISOString()],
    ]);
    // The field as Vault holds it, and the Python layout's fields unchanged beside it.
    const json = JSON.parse(await vaultCli(['kv', 'get', '-format=json', `phlow/keys/${keyId}`]));
    expect(json.data.data).toEqual({
      private_key: second.privateKey,
      public_key: second.publicKey,
      activates_at: '2026-01-02T03:04:10.679Z',
    });
  });

  it('a Python-layout version (no activates_at) and an unparseable activates_at read without an activation time', async () => {
    const keyId = id('python-layout');
    const dir = mkdtempSync(join(tmpdir(), 'phlow-activation-'));
    const pair = pems();
    writeFileSync(join(dir, 'private_key.pem'), pair.privateKey);
    writeFileSync(join(dir, 'public_key.pem'), pair.publicKey);
    await vaultCli(
      ['kv', 'put', `phlow/keys/${keyId}`, 'private_key=@private_key.pem', 'public_key=@public_key.pem'],
      dir,
    );
    const python = await store.getKeyPair(keyId);
    expect(python?.publicKey).toBe(pair.publicKey);
    expect(python && 'activatesAt' in python).toBe(false);

    await vaultCli(
      [
        'kv',
        'put',
        `phlow/keys/${keyId}`,
        'private_key=@private_key.pem',
        'public_key=@public_key.pem',
        'activates_at=next tuesday',
      ],
      dir,
    );
    const versions = await store.getKeyVersions(keyId);
    expect(versions.map((v) => v.activatesAt)).toEqual([undefined, undefined]);
  });

  it('refuses an invalid activatesAt before writing (INVALID_CONFIG)', async () => {
    const keyId = id('bad-activation');
    const pair = pems();
    await expect(
      store.storeKeyPair(keyId, pair.privateKey, pair.publicKey, { activatesAt: new Date(Number.NaN) }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    expect(await store.getKeyPair(keyId)).toBeNull();
  });
});

describe('KeyManager over the Vault store: the timeline decided once', () => {
  const store = createTestStore();
  const id = trackedIds(store);

  it('the activation fixed at rotation is stored; a replica with another delay agrees; rotate now writes once', async () => {
    const keyId = id('timeline');
    const rotating = new KeyManager({ store: createTestStore(), env: {}, rotationDelayMs: 600_000 });
    const old = await rotating.generateKeyPair(keyId);
    const rotation = await rotating.rotateKeyPair(keyId);
    const [newest] = await store.getKeyVersions(keyId);
    expect(newest?.activatesAt?.getTime()).toBe(rotation.activatesAt.getTime());
    // A replica configured with no delay at all still signs with the previous key: the stored time decides.
    const impatient = new KeyManager({ store: createTestStore(), env: {}, rotationDelayMs: 0 });
    expect((await impatient.signDetailed(keyId, 'hello')).kid).toBe(old.kid);
    expect((await impatient.getKeyPair(keyId)).kid).toBe(old.kid);
    // An emergency rotation writes the new key once (one KV version, not the two-write marker).
    const before = (await store.getKeyVersions(keyId)).length;
    const now = await rotating.rotateKeyPair(keyId, { now: true });
    expect((await store.getKeyVersions(keyId)).length).toBe(before + 1);
    const another = new KeyManager({ store: createTestStore(), env: {}, rotationDelayMs: 600_000 });
    expect((await another.signDetailed(keyId, 'hello')).kid).toBe(now.kid);
    for (const km of [rotating, impatient, another]) await km.close();
  });
});
