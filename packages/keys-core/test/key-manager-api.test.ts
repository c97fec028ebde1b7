import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore, KeyManager, type KeyStore } from '../src/index.js';

/** A memory store that counts key reads (a pair, or an id's version list: KeyManager's one entry) and can fail them. */
function counting(store: KeyStore = createMemoryKeyStore()) {
  const state = { reads: 0, fail: false };
  const counted: KeyStore = {
    ...store,
    getKeyPair: async (id) => {
      state.reads++;
      if (state.fail) throw new Error('backend down');
      return store.getKeyPair!(id);
    },
    getKeyVersions: async (id) => {
      state.reads++;
      if (state.fail) throw new Error('backend down');
      return store.getKeyVersions!(id);
    },
  };
  return { store: counted, state };
}

describe('KeyManager: per-call cache control, clear(), lookup by kid, versions from generate', () => {
  it('forceFetch reads the store even when cached; concurrent forced reads are one read; failures throw', async () => {
    const { store, state } = counting();
    const km = new KeyManager({ store, env: {} });
    await km.generateKeyPair('a');
    const reads = state.reads;
    await km.getKeyPair('a');
    expect(state.reads).toBe(reads);
    await km.getKeyPair('a', { forceFetch: true });
    expect(state.reads).toBe(reads + 1);
    await Promise.all(Array.from({ length: 20 }, () => km.getKeyPair('a', { forceFetch: true })));
    expect(state.reads).toBe(reads + 2);
    state.fail = true;
    await expect(km.getKeyPair('a', { forceFetch: true })).rejects.toThrow('backend down');
    state.fail = false;
  });

  it('maxAgeMs accepts a cached key only as old as asked', async () => {
    let now = 1_000_000;
    const { store, state } = counting();
    const km = new KeyManager({ store, env: {}, now: () => now });
    await km.generateKeyPair('a');
    const reads = state.reads;
    now += 10_000;
    await km.getKeyPair('a', { maxAgeMs: 60_000 });
    expect(state.reads).toBe(reads);
    await km.getKeyPair('a', { maxAgeMs: 5_000 });
    expect(state.reads).toBe(reads + 1);
    await km.getKeyPair('a', { maxAgeMs: 5_000 }); // just read: fresh enough
    expect(state.reads).toBe(reads + 1);
    await expect(km.getKeyPair('a', { maxAgeMs: -1 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(km.getKeyPair('../x', { forceFetch: true })).rejects.toMatchObject({
      code: 'INVALID_KEY_ID',
    });
  });

  it('clear() empties the cache so the next get reads the store', async () => {
    const { store, state } = counting();
    const km = new KeyManager({ store, env: {} });
    await km.generateKeyPair('a');
    await km.getKeyPair('a');
    const reads = state.reads;
    km.clear();
    expect(km.stats.size).toBe(0);
    await km.getKeyPair('a');
    expect(state.reads).toBe(reads + 1);
  });

  it('getKeyByKid finds the current or an in-grace key by thumbprint, and NOT_FOUND without echoing the kid', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    const first = await km.generateKeyPair('a');
    const { keyPair: second } = await km.rotateKeyPair('a');
    expect((await km.getKeyByKid('a', first.kid)).publicKey).toBe(first.publicKey);
    expect((await km.getKeyByKid('a', second.kid)).publicKey).toBe(second.publicKey);
    const error = await km.getKeyByKid('a', 'attacker-chosen-kid').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    expect(String((error as Error).message)).not.toContain('attacker-chosen-kid');
  });

  it('generateKeyPair returns the version and creation time the store gave it, at no extra read later', async () => {
    const { store, state } = counting();
    const km = new KeyManager({ store, env: {} });
    const pair = await km.generateKeyPair('a');
    expect(pair.version).toBe('1');
    expect(pair.createdAt).toBeInstanceOf(Date);
    const reads = state.reads;
    expect((await km.getKeyPair('a')).version).toBe('1');
    expect(state.reads).toBe(reads);
    const again = await km.generateKeyPair('a', { overwrite: true });
    expect(again.version).toBe('2');
  });
});
