import { describe, expect, it } from 'vitest';
import { LoadingCache } from '../src/cache.js';

function clock(start = 1_000_000) {
  const c = { now: start, advance: (ms: number) => (c.now += ms) };
  return c;
}

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('LoadingCache', () => {
  it('serves from memory until the TTL, then reloads', async () => {
    const t = clock();
    const cache = new LoadingCache<string>({
      ttlMs: 1000,
      maxEntries: 10,
      staleIfErrorMs: 0,
      now: () => t.now,
      refreshAheadRatio: 0, // plain TTL here; refresh ahead has its own tests
    });
    let loads = 0;
    const load = async () => `v${++loads}`;
    expect(await cache.get('k', load)).toBe('v1');
    t.advance(999);
    expect(await cache.get('k', load)).toBe('v1');
    t.advance(1);
    expect(await cache.get('k', load)).toBe('v2');
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2, loads: 2 });
  });

  it('single flight: 10,000 concurrent cold gets cause one load', async () => {
    const cache = new LoadingCache<string>({ ttlMs: 1000, maxEntries: 10, staleIfErrorMs: 0 });
    const gate = deferred<string>();
    let loads = 0;
    const all = Array.from({ length: 10_000 }, () =>
      cache.get('k', () => {
        loads++;
        return gate.promise;
      }),
    );
    gate.resolve('value');
    expect(new Set(await Promise.all(all))).toEqual(new Set(['value']));
    expect(loads).toBe(1);
  });

  it('a failed single-flight load rejects every waiter and is not cached', async () => {
    const cache = new LoadingCache<string>({ ttlMs: 1000, maxEntries: 10, staleIfErrorMs: 0 });
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => cache.get('k', () => Promise.reject(new Error('down')))),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(cache.stats).toMatchObject({ loads: 1, errors: 1 });
    expect(await cache.get('k', async () => 'up')).toBe('up');
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const cache = new LoadingCache<string>({ ttlMs: 60_000, maxEntries: 2, staleIfErrorMs: 0 });
    await cache.get('a', async () => 'a');
    await cache.get('b', async () => 'b');
    await cache.get('a', async () => 'a2'); // a is now most recent
    await cache.get('c', async () => 'c'); // evicts b
    expect(cache.size).toBe(2);
    expect(await cache.get('a', async () => 'reloaded')).toBe('a');
    expect(await cache.get('b', async () => 'reloaded')).toBe('reloaded');
    expect(cache.stats.evictions).toBeGreaterThanOrEqual(1);
  });

  it('serves stale values within staleIfErrorMs when the load fails, reporting each one, then gives up', async () => {
    const t = clock();
    const cache = new LoadingCache<string>({
      ttlMs: 1000,
      maxEntries: 10,
      staleIfErrorMs: 5000,
      retryAfterErrorMs: 0,
      now: () => t.now,
    });
    await cache.get('k', async () => 'good');
    const reported: number[] = [];
    const failing = () => Promise.reject(new Error('backend down'));
    t.advance(2000);
    expect(await cache.get('k', failing, (_e, age) => reported.push(age))).toBe('good');
    t.advance(3000);
    expect(await cache.get('k', failing, (_e, age) => reported.push(age))).toBe('good');
    expect(reported).toEqual([1000, 4000]);
    t.advance(2001); // 6001 ms past expiry > 5000
    await expect(cache.get('k', failing)).rejects.toThrow('backend down');
    expect(cache.stats.stale).toBe(2);
  });

  it('after a failed refresh, does not retry the backend until retryAfterErrorMs', async () => {
    const t = clock();
    const cache = new LoadingCache<string>({
      ttlMs: 1000,
      maxEntries: 10,
      staleIfErrorMs: 60_000,
      retryAfterErrorMs: 500,
      now: () => t.now,
    });
    await cache.get('k', async () => 'good');
    t.advance(1500);
    let attempts = 0;
    const failing = () => {
      attempts++;
      return Promise.reject(new Error('down'));
    };
    await cache.get('k', failing);
    await cache.get('k', failing);
    expect(attempts).toBe(1);
    t.advance(500);
    await cache.get('k', failing);
    expect(attempts).toBe(2);
  });

  it('an invalidation during a load keeps that load out of the cache', async () => {
    const cache = new LoadingCache<string>({ ttlMs: 60_000, maxEntries: 10, staleIfErrorMs: 0 });
    const gate = deferred<string>();
    const first = cache.get('k', () => gate.promise);
    await Promise.resolve();
    cache.invalidate('k');
    gate.resolve('old');
    expect(await first).toBe('old');
    expect(await cache.get('k', async () => 'new')).toBe('new');
  });

  it('does not cache missing values', async () => {
    const cache = new LoadingCache<string>({ ttlMs: 60_000, maxEntries: 10, staleIfErrorMs: 0 });
    expect(await cache.get('k', async () => undefined)).toBeUndefined();
    expect(await cache.get('k', async () => 'now there')).toBe('now there');
  });

  it('an invalidation in the same tick as the load start still keeps that load out of the cache', async () => {
    const cache = new LoadingCache<string>({ ttlMs: 60_000, maxEntries: 10, staleIfErrorMs: 0 });
    const gate = deferred<string>();
    const first = cache.get('k', () => gate.promise);
    cache.invalidate('k');
    gate.resolve('old');
    expect(await first).toBe('old');
    expect(await cache.get('k', async () => 'new')).toBe('new');
  });

  it('serves stale values only for errors staleOn accepts', async () => {
    const t = clock();
    const cache = new LoadingCache<string>({
      ttlMs: 1000,
      maxEntries: 10,
      staleIfErrorMs: 60_000,
      retryAfterErrorMs: 0,
      staleOn: (e) => (e as Error).message === 'outage',
      now: () => t.now,
    });
    await cache.get('k', async () => 'good');
    t.advance(2000);
    await expect(cache.get('k', () => Promise.reject(new Error('revoked')))).rejects.toThrow('revoked');
    expect(await cache.get('k', () => Promise.reject(new Error('outage')))).toBe('good');
  });
});

describe('LoadingCache: refresh ahead', () => {
  const setup = (retryAfterErrorMs = 1000) => {
    const t = clock();
    const cache = new LoadingCache<string>({
      ttlMs: 100_000,
      maxEntries: 10,
      staleIfErrorMs: 0,
      retryAfterErrorMs,
      now: () => t.now,
    });
    return { t, cache };
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('a hit in the last 20% of the TTL reloads once in the background; callers never wait', async () => {
    const { t, cache } = setup();
    let loads = 0;
    const gate = deferred<void>();
    const load = async () => {
      loads++;
      if (loads > 1) await gate.promise;
      return `v${loads}`;
    };
    expect(await cache.get('k', load)).toBe('v1');
    t.advance(79_999);
    expect(await cache.get('k', load)).toBe('v1');
    expect(cache.stats.refreshes).toBe(0);
    t.advance(2);
    // 100 hits while the refresh is held: all answered with the cached value, one refresh started.
    for (let i = 0; i < 100; i++) expect(await cache.get('k', load)).toBe('v1');
    expect(cache.stats).toMatchObject({ refreshes: 1, loads: 2, misses: 1 });
    gate.resolve();
    await settle();
    t.advance(50_000); // past the first value's expiry: the refreshed one is served without a store read
    expect(await cache.get('k', load)).toBe('v2');
    expect(cache.stats).toMatchObject({ refreshes: 1, loads: 2, misses: 1 });
  });

  it('a failed refresh keeps the entry and is retried only after retryAfterErrorMs', async () => {
    const { t, cache } = setup(5_000);
    let loads = 0;
    const load = async () => {
      loads++;
      if (loads > 1) throw new Error('store down');
      return 'v1';
    };
    await cache.get('k', load);
    t.advance(85_000);
    for (let i = 0; i < 10; i++) expect(await cache.get('k', load)).toBe('v1');
    await settle();
    expect(cache.stats).toMatchObject({ refreshes: 1, errors: 1 });
    t.advance(4_000);
    expect(await cache.get('k', load)).toBe('v1');
    expect(cache.stats.refreshes).toBe(1);
    t.advance(1_000);
    expect(await cache.get('k', load)).toBe('v1');
    expect(cache.stats.refreshes).toBe(2);
  });

  it('an invalidation during a refresh discards its result', async () => {
    const { t, cache } = setup();
    const gate = deferred<string>();
    let calls = 0;
    const load = () => (++calls === 2 ? gate.promise : Promise.resolve(`v${calls}`));
    await cache.get('k', load);
    t.advance(90_000);
    await cache.get('k', load); // starts the refresh, held by the gate
    cache.invalidate('k');
    gate.resolve('from the discarded refresh');
    await settle();
    expect(await cache.get('k', load)).toBe('v3');
  });

  it('refreshAheadRatio: 0 turns it off', async () => {
    const t = clock();
    const cache = new LoadingCache<string>({
      ttlMs: 1000,
      maxEntries: 10,
      staleIfErrorMs: 0,
      refreshAheadRatio: 0,
      now: () => t.now,
    });
    await cache.get('k', async () => 'v');
    t.advance(999);
    await cache.get('k', async () => 'v');
    expect(cache.stats).toMatchObject({ refreshes: 0, loads: 1 });
  });
});
