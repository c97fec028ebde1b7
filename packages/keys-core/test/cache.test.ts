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
