import { describe, expect, it } from 'vitest';
import { mapLimit } from '../src/adapter/index.js';
import { createMemoryKeyStore, KeyManager, type KeyStore } from '../src/index.js';
import { JWKS_CONCURRENCY } from '../src/jwk-set.js';

/** A memory store that counts listings and reads, and how many reads run at once (each takes a moment). */
function counting(store: KeyStore = createMemoryKeyStore()) {
  const counts = { listings: 0, reads: 0, running: 0, mostRunning: 0 };
  const read =
    <R>(fn: (id: string) => Promise<R>) =>
    async (id: string): Promise<R> => {
      counts.reads++;
      counts.running++;
      counts.mostRunning = Math.max(counts.mostRunning, counts.running);
      try {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return await fn(id);
      } finally {
        counts.running--;
      }
    };
  const counted: KeyStore = {
    ...store,
    getKeyPair: read(store.getKeyPair!.bind(store)),
    getKeyVersions: read(store.getKeyVersions!.bind(store)),
    listKeyIds: async () => {
      counts.listings++;
      await new Promise((resolve) => setTimeout(resolve, 2));
      return store.listKeyIds!();
    },
  };
  return { store: counted, counts };
}

async function withIds(n: number) {
  const base = createMemoryKeyStore();
  const writer = new KeyManager({ store: base, env: {} });
  for (let i = 0; i < n; i++) await writer.generateKeyPair(`agent-${String(i).padStart(3, '0')}`);
  return counting(base);
}

describe('jwks(): no store storms', () => {
  it('20 concurrent jwks() over 100 ids: one listing, one read per id, at most 8 reads at a time', async () => {
    const { store, counts } = await withIds(100);
    const km = new KeyManager({ store, env: {} });
    const sets = await Promise.all(Array.from({ length: 20 }, () => km.jwks()));
    expect(counts.listings).toBe(1);
    expect(counts.reads).toBe(100);
    expect(counts.mostRunning).toBeLessThanOrEqual(JWKS_CONCURRENCY);
    expect(counts.mostRunning).toBeGreaterThan(1);
    for (const set of sets) expect(set.keys.map((k) => k.kid)).toEqual(sets[0]!.keys.map((k) => k.kid));
    expect(sets[0]!.keys).toHaveLength(100);

    // Within the TTL a later JWK Set is answered from memory.
    await km.jwks();
    expect(counts.listings).toBe(1);
    expect(counts.reads).toBe(100);
  });

  it('lists again after the TTL, and at once after this process writes or deletes a key', async () => {
    let now = 1_000_000;
    const { store, counts } = await withIds(2);
    const km = new KeyManager({ store, env: {}, now: () => now, cache: { ttlMs: 60_000 } });
    expect((await km.jwks()).keys).toHaveLength(2);
    now += 60_001;
    await km.jwks();
    expect(counts.listings).toBe(2);
    await km.generateKeyPair('late');
    expect((await km.jwks()).keys).toHaveLength(3);
    expect(counts.listings).toBe(3);
    await km.deleteKeyPair('late');
    expect((await km.jwks()).keys).toHaveLength(2);
    expect(counts.listings).toBe(4);
  });

  it('keeps the order of the ids it is given and each key once', async () => {
    const { store } = await withIds(3);
    const km = new KeyManager({ store, env: {} });
    const ids = ['agent-002', 'agent-000', 'agent-002'];
    const set = await km.jwks(ids);
    expect(set.keys.map((k) => k.kid)).toEqual([
      (await km.getKeyPair('agent-002')).kid,
      (await km.getKeyPair('agent-000')).kid,
    ]);
  });
});

describe('mapLimit', () => {
  it('keeps input order, runs at most `limit` at once, and starts nothing new after a failure', async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      started.push(n);
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);

    started.length = 0;
    await expect(
      mapLimit([1, 2, 3, 4, 5, 6], 1, async (n) => {
        started.push(n);
        if (n === 2) throw new Error('boom');
        return n;
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });
});
