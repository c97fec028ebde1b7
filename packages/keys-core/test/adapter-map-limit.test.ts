/** mapLimit: input order, never more than `limit` calls at once, no new call after the first failure. */
import { describe, expect, it } from 'vitest';
import { mapLimit } from '../src/adapter/index.js';

describe('adapter mapLimit', () => {
  it('keeps input order and runs at most `limit` calls at a time', async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      for (let i = 0; i < n; i++) await Promise.resolve();
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(most).toBe(3);
  });

  it('starts no call after the first failure and throws it', async () => {
    const started: number[] = [];
    const failure = await mapLimit([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await Promise.resolve();
      if (n === 1) throw new Error('boom');
      return n;
    }).catch((e: Error) => e);
    expect((failure as Error).message).toBe('boom');
    expect(started).toEqual([0, 1, 2]);
  });

  it('handles no items and refuses a limit below 1', async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
    await expect(mapLimit([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});
