// The total deadline of a call (src/deadline.ts): a server that answers one byte a second never trips the idle
// timeout, and must not hold a read, or the KeyManager callers waiting on it, past the deadline. The trickling
// server is the test proxy in front of the real Vault, switched to answering by itself. Generous deadlines,
// no duration assertions: only outcomes and codes.
import { isKeyStoreError, newEd25519Pems } from '@phlow/keys-core';
import { callersDuringTrickle, failureOf, whileTrickling } from '@phlow/test-support/deadline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type VaultProxy } from './helpers/proxy.js';
import { createTestStore, trackedIds } from './helpers/vault.js';

let proxy: VaultProxy;
beforeAll(async () => {
  proxy = await startProxy(process.env.VAULT_ADDR ?? '');
});
afterAll(async () => {
  proxy.trickle(false);
  await proxy.close();
});

const admin = createTestStore();
const id = trackedIds(admin);
// An idle timeout far above one second (the trickle never trips it), a deadline of 3 s.
const trickled = () =>
  createTestStore({ address: proxy.address, timeoutMs: 20_000, requestDeadlineMs: 3_000, maxRetries: 3 });

describe('a server that trickles its answer', () => {
  it('ends a read UNAVAILABLE at the deadline, naming the setting', async () => {
    const store = trickled();
    const keyId = id('trickle');
    const [error, write] = await whileTrickling(proxy, async () => [
      await failureOf(store.getKeyPair(keyId)),
      await failureOf(store.storeKeyPair(keyId, 'a', 'b')),
    ]);
    expect(isKeyStoreError(error, 'UNAVAILABLE'), String(error)).toBe(true);
    expect((error as Error).message).toContain('PHLOW_VAULT_REQUEST_DEADLINE_SECONDS');
    expect(isKeyStoreError(write, 'UNAVAILABLE'), String(write)).toBe(true);
    // The same store works again once the server answers.
    const pair = newEd25519Pems();
    await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    expect((await store.getKeyPair(keyId))?.publicKey).toBe(pair.publicKey);
  });

  it('releases every KeyManager caller waiting on the read, and stale-if-error serves a cached key', async () => {
    const keyId = id('trickle-km');
    const pair = newEd25519Pems();
    await admin.storeKeyPair(keyId, pair.privateKey, pair.publicKey);

    const got = await callersDuringTrickle(proxy, trickled, keyId);
    expect(got.warm.publicKey).toBe(pair.publicKey);
    // Five callers of an id nobody has cached share one read: all of them get the error.
    for (const error of got.cold) expect(isKeyStoreError(error, 'UNAVAILABLE'), String(error)).toBe(true);
    // Past the TTL, the refresh runs into the deadline and the cached key is served, saying so.
    for (const p of got.served) expect(p.publicKey).toBe(pair.publicKey);
    expect(isKeyStoreError(got.stale?.error, 'UNAVAILABLE')).toBe(true);
  });
});
