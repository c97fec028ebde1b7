// A sealed Vault, and a Vault that stops and starts again, with the real server (tooling/services controls it).
// The cache's clock is a fake one, so the stale-if-error bound is crossed without waiting.
import { isKeyStoreError, KeyManager, type KeyManagerEvent, newEd25519Pems } from '@phlow/keys-core';
import { sealVault, startVault, stopVault, unsealVault } from '@phlow/services';
import { describe, expect, it } from 'vitest';
import { createTestStore, testVault, trackedIds } from './helpers/vault.js';

const store = createTestStore({ maxRetries: 1 });
const id = trackedIds(store);

describe('a sealed Vault', () => {
  it('is UNAVAILABLE saying sealed and how to unseal; once unsealed the store works again', async () => {
    const keyId = id('sealed');
    const pair = newEd25519Pems();
    await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);

    await sealVault();
    try {
      const sealed = {
        code: 'UNAVAILABLE',
        message: expect.stringContaining(`Vault at ${testVault().address} is sealed: unseal it`),
      };
      await expect(store.getPrivateKey(keyId)).rejects.toMatchObject(sealed);
      await expect(store.storeKeyPair(keyId, pair.privateKey, pair.publicKey)).rejects.toMatchObject(sealed);
      await expect(store.checkConnection()).rejects.toMatchObject(sealed);
    } finally {
      await unsealVault();
    }
    expect(await store.getPrivateKey(keyId)).toBe(pair.privateKey);
    expect((await store.getKeyVersions(keyId)).map((v) => v.version)).toEqual(['1']);
  });
});

describe('a Vault that stops and starts again', () => {
  it('a KeyManager serves its cached key within staleIfErrorMs, then fails, then recovers', async () => {
    const keyId = id('restart');
    let now = Date.now();
    const events: KeyManagerEvent[] = [];
    const km = new KeyManager({
      store,
      env: {},
      cache: { ttlMs: 1000, staleIfErrorMs: 60_000 },
      now: () => now,
      onEvent: (e) => events.push(e),
    });
    const first = await km.generateKeyPair(keyId);
    expect((await km.getKeyPair(keyId)).publicKey).toBe(first.publicKey);

    await stopVault();
    try {
      const down = {
        code: 'UNAVAILABLE',
        message: expect.stringContaining(`cannot reach Vault at ${testVault().address}`),
      };
      await expect(store.getKeyPair(keyId)).rejects.toMatchObject(down);

      now += 2000; // past the TTL: the refresh fails, the stale key is served
      expect((await km.getKeyPair(keyId)).publicKey).toBe(first.publicKey);
      const stale = events.find((e) => e.type === 'stale');
      expect(stale).toMatchObject({ type: 'stale', keyId });
      expect(isKeyStoreError((stale as { error: unknown }).error, 'UNAVAILABLE')).toBe(true);

      now += 60_000; // past the stale-if-error bound: the error surfaces
      await expect(km.getKeyPair(keyId)).rejects.toMatchObject(down);
    } finally {
      await startVault();
    }

    // Dev mode comes back empty: Vault answers again, and says the key is absent.
    expect(await store.describeKey(keyId)).toMatchObject({ state: 'absent' });
    const second = await km.generateKeyPair(keyId);
    expect((await km.getKeyPair(keyId)).publicKey).toBe(second.publicKey);
  });
});
