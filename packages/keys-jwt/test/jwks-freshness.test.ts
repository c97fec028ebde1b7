// How fresh the JWKS handler's set is (issue 19, item 2), counted in listings on a clock the test moves:
// its own KeyManager's writes rebuild it at once (the `changed` event), writes by another process show at
// the first revalidation, and revalidating costs one listing per interval whatever the request rate.
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { testClock } from '@phlow/test-support/clock';
import { describe, expect, it } from 'vitest';
import { createJwksHandler } from '../src/index.js';
import { countingStore } from './helpers.js';

const get = () => new Request('http://agent.test/.well-known/jwks.json');
const kidsOf = async (res: Response) =>
  ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

function setup() {
  const clock = testClock();
  const base = createMemoryKeyStore();
  const { store, counts } = countingStore(base);
  const keys = new KeyManager({ store, env: {}, now: clock.now });
  const elsewhere = new KeyManager({ store: base, env: {}, now: clock.now }); // another process
  return { clock, counts, keys, elsewhere };
}

describe('JWKS handler freshness', () => {
  it("rebuilds at once after its own manager's rotation or write, once, whatever the requests", async () => {
    const { counts, keys } = setup();
    await keys.generateKeyPair('a');
    const handler = createJwksHandler(keys, { revalidateSeconds: 60 });
    await handler(get());
    const lists = counts.lists;
    const { kid } = await keys.rotateKeyPair('a', { now: true });
    const after = await Promise.all(Array.from({ length: 100 }, () => handler(get())));
    expect(await kidsOf(after[0]!)).toContain(kid);
    expect(counts.lists).toBe(lists + 1);
    await keys.generateKeyPair('b');
    expect(await kidsOf(await handler(get()))).toHaveLength(3);
    await keys.deleteKeyPair('b');
    expect(await kidsOf(await handler(get()))).toHaveLength(2);
    expect(counts.lists).toBe(lists + 3);
  });

  it("shows another process's rotation at the first revalidation: one listing per interval, 100 requests at a time", async () => {
    const { clock, counts, keys, elsewhere } = setup();
    await keys.generateKeyPair('a');
    const handler = createJwksHandler(keys, { revalidateSeconds: 5, now: clock.now });
    await handler(get());
    const lists = counts.lists;
    const { kid } = await elsewhere.rotateKeyPair('a', { now: true });
    clock.advance(4_999);
    for (const res of await Promise.all(Array.from({ length: 100 }, () => handler(get())))) {
      expect(await kidsOf(res)).not.toContain(kid);
    }
    expect(counts.lists).toBe(lists);
    clock.advance(1);
    const round = await Promise.all(Array.from({ length: 100 }, () => handler(get())));
    expect(await kidsOf(round[99]!)).toContain(kid);
    expect(counts.lists).toBe(lists + 1);
    // Ten more intervals of 100 requests each: ten listings, one read of the id each.
    const reads = counts.reads;
    for (let i = 0; i < 10; i++) {
      clock.advance(5_000);
      await Promise.all(Array.from({ length: 100 }, () => handler(get())));
    }
    expect(counts.lists).toBe(lists + 11);
    expect(counts.reads - reads).toBe(10 * 2);
    // No request, no listing.
    clock.advance(60_000);
    expect(counts.lists).toBe(lists + 11);
  });

  it('refuses a revalidateSeconds that is not a whole number', () => {
    const keys = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    expect(() => createJwksHandler(keys, { revalidateSeconds: 1.5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
