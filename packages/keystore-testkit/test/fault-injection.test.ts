import { KeyManager } from '@phlow/keys-core';
import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore, createMemorySignerStore, ed25519Pair, withFaults } from '../src/index.js';

describe('withFaults', () => {
  it('counts calls and passes data through untouched', async () => {
    const store = withFaults(createMemoryKeyStore());
    const pair = ed25519Pair();
    await store.storeKeyPair('a', pair.privateKey, pair.publicKey);
    expect(await store.getPrivateKey('a')).toBe(pair.privateKey);
    expect(store.faults.calls).toMatchObject({ storeKeyPair: 1, getPrivateKey: 1 });
    expect(store.capabilities.versions).toBe(true);
  });

  it('fails the next N calls with the chosen code, then recovers', async () => {
    const store = withFaults(createMemoryKeyStore());
    store.faults.failNext(2, 'ACCESS_DENIED');
    await expect(store.getPublicKey('a')).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      storeType: 'memory',
    });
    await expect(store.getPublicKey('a')).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(await store.getPublicKey('a')).toBeNull();
  });

  it('an outage drives KeyManager to serve stale keys, then fail once the bound passes', async () => {
    const store = withFaults(createMemoryKeyStore());
    let now = 0;
    const km = new KeyManager({
      store,
      env: {},
      now: () => now,
      cache: { ttlMs: 100, staleIfErrorMs: 1000 },
    });
    const pair = await km.generateKeyPair('a');
    await km.getKeyPair('a');
    store.faults.outage = true;
    now = 500;
    expect((await km.getKeyPair('a')).publicKey).toBe(pair.publicKey);
    now = 2000;
    await expect(km.getKeyPair('a')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    store.faults.reset();
    expect((await km.getKeyPair('a')).publicKey).toBe(pair.publicKey);
  });

  it('adds latency to every call', async () => {
    const store = withFaults(createMemoryKeyStore());
    store.faults.latencyMs = 20;
    let settled = false;
    const read = store.getPublicKey('a').then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false);
    await read;
    expect(settled).toBe(true);
  });

  it('keeps a signer store a signer store: KeyManager over withFaults(memory signer) creates, signs and verifies', async () => {
    // Issue 18: the wrapper copied 7 methods and dropped sign/createKey/... while keeping capabilities.signer,
    // so `new KeyManager` threw INVALID_CONFIG.
    const store = withFaults(createMemorySignerStore());
    const km = new KeyManager({ store, env: {}, rotationDelayMs: 0 });
    await km.createKey('a');
    const signature = await km.sign('a', 'hello');
    expect(await km.verify('a', 'hello', signature)).toBe(true);
    expect(store.faults.calls).toMatchObject({ createKey: 1, sign: 1 });
    store.faults.failNext(1, 'UNAVAILABLE');
    await expect(store.sign('a', new Uint8Array(1))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
