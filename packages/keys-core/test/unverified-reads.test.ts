// The unverified-read gate (unverified-reads.ts) through KeyManager.getVerificationKeys(id, { unverified: true }),
// counted at a memory store: negative cache, id list, budget; and the one bad-signature code of `verify`.
import { describe, expect, it } from 'vitest';
import { createQuietAgents } from '../src/adapter/index.js';
import { createMemoryKeyStore, type KeyAuditEvent, KeyManager, type KeyStore } from '../src/index.js';

function counting(store: KeyStore, listing = true) {
  const calls: Record<string, number> = {};
  const counted = { ...store } as Record<string, unknown>;
  for (const method of ['getKeyVersions', 'getKeyPair', 'listKeyIds'] as const) {
    const original = (store[method] as (...a: unknown[]) => Promise<unknown>).bind(store);
    counted[method] = (...args: unknown[]) => {
      calls[method] = (calls[method] ?? 0) + 1;
      return original(...args);
    };
  }
  if (!listing) {
    delete counted.listKeyIds;
    counted.capabilities = { ...store.capabilities, list: false };
  }
  return { store: counted as unknown as KeyStore, calls };
}

const unverified = { unverified: true } as const;
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: { code: string }) => e.code,
  );

describe('unverified reads', () => {
  it('an unknown id: NOT_FOUND without the id in the message or keyId, and no per-id read on a listing store', async () => {
    const { store, calls } = counting(createMemoryKeyStore());
    const keys = new KeyManager({ store, env: {} });
    const error = await keys.getVerificationKeys('nobody-1234', unverified).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KeyStoreError', code: 'NOT_FOUND', keyId: undefined });
    expect((error as Error).message).not.toContain('nobody-1234');
    expect(calls).toEqual({ listKeyIds: 1 });
  });

  it('a key this process writes after a negative answer verifies at once (the write clears it)', async () => {
    const { store, calls } = counting(createMemoryKeyStore());
    const keys = new KeyManager({ store, env: {}, now: () => 5_000_000 });
    expect(await code(keys.getVerificationKeys('late', unverified))).toBe('NOT_FOUND');
    await keys.generateKeyPair('late');
    expect(await keys.getVerificationKeys('late', unverified)).toHaveLength(1);
    expect(calls.listKeyIds).toBe(1); // the write's read-back filled the cache; its invalidation cleared the answer
  });

  it('a malformed id is INVALID_KEY_ID before the gate: no listing, no read', async () => {
    const { store, calls } = counting(createMemoryKeyStore());
    const keys = new KeyManager({ store, env: {} });
    expect(await code(keys.getVerificationKeys('../etc/passwd', unverified))).toBe('INVALID_KEY_ID');
    expect(calls).toEqual({});
  });

  it('without the flag nothing changes: the id is read and NOT_FOUND names it (the application named it)', async () => {
    const { store, calls } = counting(createMemoryKeyStore());
    const keys = new KeyManager({ store, env: {} });
    await expect(keys.getVerificationKeys('named-by-app')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      keyId: 'named-by-app',
    });
    expect(calls).toEqual({ getKeyVersions: 1 });
  });

  it('refetchCooldownMs 0 (a refetch on every unknown kid) still lists at most once a second for unknown ids', async () => {
    let now = 2_000_000;
    const { store, calls } = counting(createMemoryKeyStore());
    const keys = new KeyManager({ store, env: {}, now: () => now, cache: { refetchCooldownMs: 0 } });
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => code(keys.getVerificationKeys(`x-${i}`, unverified))),
    );
    for (let i = 0; i < 100; i++) await code(keys.getVerificationKeys(`y-${i}`, unverified));
    expect(calls).toEqual({ listKeyIds: 1 });
    now += 1000;
    for (let i = 0; i < 100; i++) await code(keys.getVerificationKeys(`z-${i}`, unverified));
    expect(calls).toEqual({ listKeyIds: 2 });
  });

  it('a store that cannot list: the same unknown id is read once per cooldown (negative cache)', async () => {
    let now = 1_000_000;
    const { store, calls } = counting(createMemoryKeyStore(), false);
    const keys = new KeyManager({ store, env: {}, now: () => now });
    for (let i = 0; i < 50; i++)
      expect(await code(keys.getVerificationKeys('ghost', unverified))).toBe('NOT_FOUND');
    expect(calls).toEqual({ getKeyVersions: 1 });
    now += 30_000;
    expect(await code(keys.getVerificationKeys('ghost', unverified))).toBe('NOT_FOUND');
    expect(calls).toEqual({ getKeyVersions: 2 });
  });

  it('a listing that fails (no list permission) falls back to the budget for a cooldown, not to one listing per token', async () => {
    const { store, calls } = counting(createMemoryKeyStore());
    const denied = {
      ...store,
      listKeyIds: async () => {
        calls.listKeyIds = (calls.listKeyIds ?? 0) + 1;
        throw Object.assign(new Error('denied'), { name: 'KeyStoreError', code: 'ACCESS_DENIED' });
      },
    } as KeyStore;
    const keys = new KeyManager({ store: denied, env: {}, now: () => 1_000_000 });
    const codes = await Promise.all(
      Array.from({ length: 100 }, (_, i) => code(keys.getVerificationKeys(`f-${i}`, unverified))),
    );
    expect(calls.listKeyIds).toBe(1);
    expect(calls.getKeyVersions).toBeLessThanOrEqual(20);
    expect(codes.filter((c) => c === 'NOT_FOUND').length).toBe(calls.getKeyVersions);
    expect(codes.filter((c) => c === 'UNAVAILABLE').length).toBe(100 - (calls.getKeyVersions ?? 0));
  });
});

describe('one code for a bad signature', () => {
  it("KeyManager.verify's audit event of a signature that does not verify carries SIGNATURE_INVALID", async () => {
    const events: KeyAuditEvent[] = [];
    const keys = new KeyManager({
      store: createMemoryKeyStore(),
      env: {},
      onEvent: (e) => {
        if (e.type === 'audit' && e.operation === 'verify') events.push(e);
      },
    });
    await keys.generateKeyPair('a');
    const signature = await keys.sign('a', 'm');
    expect(await keys.verify('a', 'm', signature)).toBe(true);
    expect(await keys.verify('a', 'other', signature)).toBe(false);
    expect(events.map((e) => [e.valid, e.errorCode])).toEqual([
      [true, undefined],
      [false, 'SIGNATURE_INVALID'],
    ]);
  });
});

describe('socket limits', () => {
  it('the quiet agents hold 50 sockets per origin by default, and refuse a limit that is no limit', () => {
    const agents = createQuietAgents();
    expect([agents.http.maxSockets, agents.https.maxSockets]).toEqual([50, 50]);
    agents.destroy();
    for (const maxSockets of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1.5]) {
      expect(() => createQuietAgents({ maxSockets })).toThrow(RangeError);
    }
  });
});
