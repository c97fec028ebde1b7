// The verified-token cache in one process: a repeated token is answered from memory (hits counted), and an
// entry stops being trusted when its key is revoked or rotated out (by this KeyManager: at once; by another
// KeyManager on the same store: when this one rereads, never later than verifyJwt itself would refuse), when
// its exp / nbf / iat window closes, or when it is pushed out by the size bound. A token differing in a byte
// is verified in full. The multi-process case is verified-token-cache-fleet.test.ts.
import { createMemoryKeyStore, type KeyAuditEvent, KeyManager } from '@phlow/keys-core';
import { testClock } from '@phlow/test-support/clock';
import { describe, expect, it } from 'vitest';
import { createJwtVerifier, signJwt, verifyJwt } from '../src/index.js';
import { manager } from './helpers.js';

/** The error code of `promise`, or 'accepted'. */
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: { code?: string }) => error.code ?? String(error),
  );

describe('createJwtVerifier with the verified-token cache', () => {
  it('answers a repeated token from the cache; a token differing in one byte is verified in full', async () => {
    const keys = manager(createMemoryKeyStore());
    await keys.generateKeyPair('agent');
    const token = await signJwt(keys, 'agent', { scope: 'read' }, { audience: 'peer' });
    const verifier = createJwtVerifier(keys, { audience: 'peer', cache: true });
    const first = await verifier.verify(token);
    const again = await verifier.verify(token);
    expect(again.payload).toEqual(first.payload);
    expect(again.kid).toBe(first.kid);
    expect(verifier.stats).toMatchObject({ hits: 1, misses: 1, size: 1 });
    expect(Object.isFrozen(again.payload)).toBe(true);

    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${token.slice(0, -2)}${last}${token.at(-1)}`;
    expect(await outcome(verifier.verify(tampered))).toBe('SIGNATURE_INVALID');
    expect(verifier.stats).toMatchObject({ hits: 1, misses: 2, size: 1 });
    // The options are the verifier's: a token for another audience is refused, never cached.
    const other = await signJwt(keys, 'agent', {}, { audience: 'someone-else' });
    expect(await outcome(verifier.verify(other))).toBe('AUDIENCE_MISMATCH');
    expect(await outcome(verifier.verify(other))).toBe('AUDIENCE_MISMATCH');
    expect(verifier.stats.hits).toBe(1);
  });

  it('a revocation by this KeyManager drops the entry at once (its changed event)', async () => {
    const keys = manager(createMemoryKeyStore());
    await keys.generateKeyPair('agent');
    const token = await signJwt(keys, 'agent');
    const verifier = createJwtVerifier(keys, { cache: true });
    await verifier.verify(token);
    await verifier.verify(token);
    await keys.rotateKeyPair('agent', { now: true, revokePrevious: true });
    expect(verifier.stats.size).toBe(0);
    expect(await outcome(verifier.verify(token))).toBe('KID_UNKNOWN');
    expect(verifier.stats.hits).toBe(1);
  });

  it('a revocation by another KeyManager: accepted exactly as long as verifyJwt on this KeyManager accepts', async () => {
    const clock = testClock();
    const store = createMemoryKeyStore();
    const keys = manager(store, clock.now);
    const elsewhere = manager(store, clock.now); // another process on the same store
    await keys.generateKeyPair('agent');
    const token = await signJwt(keys, 'agent', {}, { expiresIn: '1d', now: clock.now });
    const verifier = createJwtVerifier(keys, { cache: true, now: clock.now });
    await verifier.verify(token);
    await elsewhere.rotateKeyPair('agent', { now: true, revokePrevious: true });
    const rounds: [string, string][] = [];
    for (let i = 0; i < 40; i++) {
      const direct = await outcome(verifyJwt(keys, token, { now: clock.now }));
      rounds.push([direct, await outcome(verifier.verify(token))]);
      clock.advance(60_000);
    }
    // The cache answered while this KeyManager still had the old versions, then refused with it.
    expect(rounds[0]).toEqual(['accepted', 'accepted']);
    expect(rounds.some(([direct]) => direct === 'KID_UNKNOWN')).toBe(true);
    expect(rounds.filter(([direct, cached]) => direct !== 'accepted' && cached === 'accepted')).toEqual([]);
    expect(rounds.at(-1)).toEqual(['KID_UNKNOWN', 'KID_UNKNOWN']);
  });

  it('a key rotated out: accepted through its grace period, refused after it', async () => {
    const clock = testClock();
    const keys = manager(createMemoryKeyStore(), clock.now, 3_600_000);
    await keys.generateKeyPair('agent');
    const token = await signJwt(keys, 'agent', {}, { expiresIn: '1d', now: clock.now });
    const verifier = createJwtVerifier(keys, { cache: true, now: clock.now });
    await verifier.verify(token);
    await keys.rotateKeyPair('agent');
    expect(await outcome(verifier.verify(token))).toBe('accepted'); // in its grace period
    expect(await outcome(verifier.verify(token))).toBe('accepted');
    const hits = verifier.stats.hits;
    expect(hits).toBeGreaterThanOrEqual(1);
    clock.advance(3_600_000 + 1000);
    expect(await outcome(verifier.verify(token))).toBe('KID_UNKNOWN');
    expect(verifier.stats.hits).toBe(hits);
    expect(verifier.stats.revoked).toBeGreaterThanOrEqual(1);
  });

  it('drops an entry when its exp window closes (with the clock tolerance) and honours nbf and maxTokenAgeSeconds', async () => {
    const clock = testClock(Date.UTC(2026, 0, 1));
    const keys = manager(createMemoryKeyStore(), clock.now);
    await keys.generateKeyPair('agent');
    const token = await signJwt(keys, 'agent', {}, { expiresIn: 60, now: clock.now });
    const verifier = createJwtVerifier(keys, { cache: true, clockToleranceSeconds: 5, now: clock.now });
    await verifier.verify(token);
    clock.advance(64_000);
    expect(await outcome(verifier.verify(token))).toBe('accepted'); // exp + 4 s, within the 5 s tolerance
    clock.advance(1000);
    expect(await outcome(verifier.verify(token))).toBe('EXPIRED'); // exp + 5 s: jose's exp <= now - tolerance
    expect(verifier.stats.expired).toBe(1);

    const aged = createJwtVerifier(keys, {
      cache: true,
      maxTokenAgeSeconds: 10,
      clockToleranceSeconds: 0,
      now: clock.now,
    });
    const young = await signJwt(keys, 'agent', {}, { expiresIn: 300, now: clock.now });
    await aged.verify(young);
    clock.advance(10_000);
    expect(await outcome(aged.verify(young))).toBe('accepted');
    clock.advance(1000);
    expect(await outcome(aged.verify(young))).toBe('EXPIRED');
    expect(aged.stats.expired).toBe(1);

    // A token verified before its nbf-tolerance window would be refused and is never cached.
    const later = await signJwt(keys, 'agent', {}, { notBeforeSeconds: 120, now: clock.now });
    const strict = createJwtVerifier(keys, { cache: true, clockToleranceSeconds: 0, now: clock.now });
    expect(await outcome(strict.verify(later))).toBe('NOT_YET_VALID');
    expect(strict.stats.size).toBe(0);
    clock.advance(120_000);
    expect(await outcome(strict.verify(later))).toBe('accepted');
    expect(await outcome(strict.verify(later))).toBe('accepted');
    expect(strict.stats.hits).toBe(1);
  });

  it('keeps at most maxEntries tokens, dropping the oldest; close empties it', async () => {
    const keys = manager(createMemoryKeyStore());
    await keys.generateKeyPair('agent');
    const tokens = await Promise.all([1, 2, 3].map((n) => signJwt(keys, 'agent', { n })));
    const verifier = createJwtVerifier(keys, { cache: { maxEntries: 2 } });
    for (const token of tokens) await verifier.verify(token);
    expect(verifier.stats).toMatchObject({ size: 2, evicted: 1, misses: 3 });
    await verifier.verify(tokens[0]!);
    expect(verifier.stats).toMatchObject({ hits: 0, misses: 4 });
    await verifier.verify(tokens[2]!);
    expect(verifier.stats.hits).toBe(1);
    verifier.close();
    expect(verifier.stats.size).toBe(0);
  });

  it('keeps at most maxBytes characters of tokens, dropping the oldest; a longer token is verified, not kept', async () => {
    const keys = manager(createMemoryKeyStore());
    await keys.generateKeyPair('agent');
    const tokens = await Promise.all(
      Array.from({ length: 10 }, (_, n) => signJwt(keys, 'agent', { n, pad: 'x'.repeat(300) })),
    );
    const longest = Math.max(...tokens.map((t) => t.length));
    const verifier = createJwtVerifier(keys, { cache: { maxEntries: 100, maxBytes: 3 * longest } });
    for (const token of tokens) await verifier.verify(token);
    expect(verifier.stats.size).toBe(3);
    expect(verifier.stats.evicted).toBe(7);
    expect(verifier.stats.bytes).toBeLessThanOrEqual(3 * longest);
    await verifier.verify(tokens[9]!);
    expect(verifier.stats.hits).toBe(1);

    const big = await signJwt(keys, 'agent', { pad: 'x'.repeat(4 * longest) });
    expect((await verifier.verify(big)).payload.pad).toHaveLength(4 * longest);
    expect(verifier.stats.size).toBe(3);
    await verifier.verify(big);
    expect(verifier.stats.hits).toBe(1);
  });

  it('by default, a flood of distinct large valid tokens stays within the default 4 MiB of tokens', async () => {
    // An issuer can mint any number of tokens near maxTokenLength whose payload is thousands of tiny claims
    // (about 50 KB of heap each): the default entry count alone would let 10,000 of them hold half a GB.
    const keys = manager(createMemoryKeyStore());
    await keys.generateKeyPair('agent');
    const claims: Record<string, number> = {};
    for (let i = 0; i < 700; i++) claims[`k${i.toString(36)}`] = 0;
    const verifier = createJwtVerifier(keys, { cache: true });
    let kept = 0;
    for (let n = 0; n < 700; n++) {
      const token = await signJwt(keys, 'agent', { ...claims, n });
      expect(token.length).toBeGreaterThan(7000);
      await verifier.verify(token);
      kept += token.length;
    }
    expect(kept).toBeGreaterThan(4 * 1024 * 1024);
    expect(verifier.stats.bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(verifier.stats.size).toBeLessThan(700);
    expect(verifier.stats.evicted).toBe(700 - verifier.stats.size);
  });

  it('refuses options that cannot work when it is made (INVALID_ARGUMENT), not at the first token', () => {
    const keys = manager(createMemoryKeyStore());
    expect(() => createJwtVerifier(keys, { maxTokenLength: 0, cache: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => createJwtVerifier(keys, { cache: { maxEntries: 0 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => createJwtVerifier(keys, { cache: { maxBytes: 0 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => createJwtVerifier(keys, { cache: { maxBytes: Number.NaN } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    const plain = createJwtVerifier(keys);
    expect(plain.stats.size).toBe(0);
  });

  it('with auditing on, a cached answer is one verify event with source cache', async () => {
    const events: KeyAuditEvent[] = [];
    const keys = new KeyManager({
      store: createMemoryKeyStore(),
      env: {},
      rotationDelayMs: 0,
      onEvent: (e) => {
        if (e.type === 'audit') events.push(e);
      },
    });
    await keys.generateKeyPair('agent');
    const token = await signJwt(keys, 'agent');
    const verifier = createJwtVerifier(keys, { cache: true });
    await verifier.verify(token);
    await verifier.verify(token);
    const verifies = events.filter((e) => e.operation === 'verify');
    expect(verifies).toHaveLength(2);
    expect(verifies[1]).toMatchObject({ keyId: 'agent', valid: true, source: 'cache' });
    expect(JSON.stringify(verifies)).not.toContain(token.split('.')[2]);
  });
});
