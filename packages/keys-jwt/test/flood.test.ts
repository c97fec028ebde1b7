// Forged issuers never decide how much work the store does: the issuer allow-list refuses before any read,
// unknown issuers are answered from the id list and the negative cache (no per-id read), and on a store
// that cannot list the reads share a budget whose excess is refused at once. Counted at the store (the
// counting wrapper of helpers.ts); the real-server version of this test is apps/cli/test/verify-flood.test.ts.
import { createMemoryKeyStore, KeyManager, type KeyStore } from '@phlow/keys-core';
import { testClock } from '@phlow/test-support/clock';
import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt } from '../src/index.js';
import { countingStore } from './helpers.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token naming `iss`, with a kid and a signature that no key made: it never gets as far as a signature check. */
function forged(iss: string, nowMs: number): string {
  const header = b64({ alg: 'EdDSA', kid: 'A'.repeat(43) });
  return `${header}.${b64({ iss, exp: Math.floor(nowMs / 1000) + 600 })}.${'A'.repeat(86)}`;
}

/** The store without its listing (a store that cannot list, or a verifier that may not). */
function withoutListing(store: KeyStore): KeyStore {
  const { listKeyIds: _list, ...rest } = store;
  return { ...rest, capabilities: { ...store.capabilities, list: false } } as KeyStore;
}

async function outcome(
  promise: Promise<unknown>,
): Promise<{ name?: string; code?: string; message?: string; keyId?: string }> {
  return promise.then(
    () => ({ code: 'VALID' }),
    (error: { name?: string; code?: string; message?: string; keyId?: string }) => error,
  );
}

async function setup(options: { listing?: boolean } = {}) {
  const clock = testClock();
  const backing = createMemoryKeyStore();
  const writer = new KeyManager({ store: backing, env: {}, rotationDelayMs: 0 });
  await writer.generateKeyPair('legit');
  const token = await signJwt(writer, 'legit', {}, { now: clock.now });
  const counted = countingStore(backing);
  const store = options.listing === false ? withoutListing(counted.store) : counted.store;
  const keys = new KeyManager({ store, env: {}, now: clock.now });
  return { clock, writer, token, counts: counted.counts, keys };
}

describe('forged issuers', () => {
  it('an issuer allow-list refuses 200 tokens of other issuers with ISSUER_MISMATCH and no store read', async () => {
    const { keys, counts, clock, token } = await setup();
    for (let i = 0; i < 200; i++) {
      const error = await outcome(
        verifyJwt(keys, forged(`other-${i}`, clock.ms), { issuer: 'legit', now: clock.now }),
      );
      expect(error).toMatchObject({ name: 'JwtError', code: 'ISSUER_MISMATCH' });
      expect(error.message).not.toContain(`other-${i}`);
      expect(error.keyId).toBeUndefined();
    }
    expect(counts.reads).toBe(0);
    // The allowed issuer still verifies.
    expect((await verifyJwt(keys, token, { issuer: ['legit', 'x'], now: clock.now })).keyId).toBe('legit');
  });

  it('an unknown issuer is ISSUER_UNKNOWN (a refusal), without the forged value in message or keyId', async () => {
    const { keys, clock } = await setup();
    const error = await outcome(verifyJwt(keys, forged('forged-issuer-7f3a', clock.ms), { now: clock.now }));
    expect(error).toMatchObject({ name: 'JwtError', code: 'ISSUER_UNKNOWN' });
    expect(error.keyId).toBeUndefined();
    expect(JSON.stringify(error)).not.toContain('forged-issuer-7f3a');
    expect(error.message).not.toContain('forged-issuer-7f3a');
  });

  it('10,000 distinct forged issuers on a listing store: one listing, no per-id read; a cold legitimate token verifies meanwhile', async () => {
    const { keys, counts, clock, token } = await setup();
    const flood = Array.from({ length: 10_000 }, (_, i) =>
      outcome(verifyJwt(keys, forged(`forged-${i}`, clock.ms), { now: clock.now })),
    );
    const legit = verifyJwt(keys, token, { now: clock.now });
    const results = await Promise.all(flood);
    expect((await legit).keyId).toBe('legit');
    expect(new Set(results.map((r) => r.code))).toEqual(new Set(['ISSUER_UNKNOWN']));
    expect(counts.lists).toBe(1);
    expect(counts.reads - counts.lists).toBe(1); // the legitimate issuer's versions, once
  });

  it('the negative cache and the relisting follow the cooldown: one more listing per cooldown, whatever the flood', async () => {
    const { keys, counts, clock, writer } = await setup();
    for (let i = 0; i < 100; i++)
      await outcome(verifyJwt(keys, forged(`f-${i % 10}`, clock.ms), { now: clock.now }));
    expect(counts.lists).toBe(1);
    // A key written since (by another process): found after one cooldown, by the one relisting of that cooldown.
    await writer.generateKeyPair('newcomer');
    const fresh = await signJwt(writer, 'newcomer', {}, { now: clock.now });
    expect(await outcome(verifyJwt(keys, fresh, { now: clock.now }))).toMatchObject({
      code: 'ISSUER_UNKNOWN',
    });
    expect(counts.lists).toBe(1);
    clock.advance(30_000);
    for (let i = 0; i < 100; i++)
      await outcome(verifyJwt(keys, forged(`g-${i}`, clock.ms), { now: clock.now }));
    expect(counts.lists).toBe(2);
    expect((await verifyJwt(keys, fresh, { now: clock.now })).keyId).toBe('newcomer');
    expect(counts.lists).toBe(2);
    expect(counts.reads - counts.lists).toBe(1); // newcomer's versions
  });

  it('a store that cannot list: the budget bounds the reads (burst, concurrency) and refuses the excess at once; known issuers are unaffected', async () => {
    const { keys, counts, clock, token } = await setup({ listing: false });
    // Seen before the flood: its later reads do not need the budget.
    expect((await verifyJwt(keys, token, { now: clock.now })).keyId).toBe('legit');
    keys.clear(); // even with its cache entry gone
    const before = counts.reads;
    const flood = Array.from({ length: 1_000 }, (_, i) =>
      outcome(verifyJwt(keys, forged(`forged-${i}`, clock.ms), { now: clock.now })),
    );
    const legit = verifyJwt(keys, token, { now: clock.now });
    const results = await Promise.all(flood);
    expect((await legit).keyId).toBe('legit');
    const codes = results.map((r) => r.code);
    // The clock stands still: the bucket never refills, so at most the burst (20) of forged ids is read,
    // at most 4 at a time; the others are refused without a read.
    const read = codes.filter((c) => c === 'ISSUER_UNKNOWN').length;
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThanOrEqual(20);
    expect(codes.filter((c) => c === 'UNAVAILABLE').length).toBe(1_000 - read);
    expect(counts.reads - before).toBe(read + 1); // + the legitimate issuer's read
    expect(counts.maxInFlight).toBeLessThanOrEqual(4 + 1);
    // The forged ids that were read, again: answered from the negative cache, no read.
    const again = counts.reads;
    for (const [i, code] of codes.entries()) {
      if (code !== 'ISSUER_UNKNOWN') continue;
      const repeat = await outcome(verifyJwt(keys, forged(`forged-${i}`, clock.ms), { now: clock.now }));
      expect(repeat.code).toBe('ISSUER_UNKNOWN');
    }
    expect(counts.reads).toBe(again);
    // After 10 s at 5 per second, the bucket holds 20 again (its cap), never more.
    clock.advance(10_000);
    const later = counts.reads;
    const next = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        outcome(verifyJwt(keys, forged(`late-${i}`, clock.ms), { now: clock.now })),
      ),
    );
    expect(counts.reads - later).toBeLessThanOrEqual(20);
    expect(next.filter((r) => r.code === 'UNAVAILABLE').length).toBe(100 - (counts.reads - later));
  });

  it('a budget refusal names no id and says what to do', async () => {
    const { clock } = await setup({ listing: false });
    const store = withoutListing(createMemoryKeyStore());
    const keys = new KeyManager({ store, env: {}, now: clock.now, cache: { unverifiedReads: { burst: 0 } } });
    const error = await outcome(verifyJwt(keys, forged('zz-forged', clock.ms), { now: clock.now }));
    expect(error).toMatchObject({ name: 'KeyStoreError', code: 'UNAVAILABLE' });
    expect(error.message).not.toContain('zz-forged');
    expect(error.message).toMatch(/Retry later/);
  });

  it('bad budget settings are INVALID_CONFIG naming the option or variable', () => {
    const store = createMemoryKeyStore();
    expect(() => new KeyManager({ store, env: {}, cache: { unverifiedReads: { concurrency: 0 } } })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message: expect.stringContaining('unverifiedReads.concurrency'),
      }),
    );
    expect(
      () => new KeyManager({ store, env: {}, cache: { unverifiedReads: { perSecond: Number.NaN } } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new KeyManager({ store, env: { PHLOW_KEY_UNVERIFIED_READ_BURST: '-1' } })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message: expect.stringContaining('PHLOW_KEY_UNVERIFIED_READ_BURST'),
      }),
    );
  });
});
