// The signing recheck (signing-recheck.ts): a replica that signs learns of an emergency rotation, a
// revocation or a revoked credential written by another process within one recheck interval, whatever the
// cache TTL, at the cost of one read of the id per interval while it signs. Two KeyManagers on one store
// stand for two processes; the clock is the test's, so every bound is counted in intervals and reads.
import { describe, expect, it, vi } from 'vitest';
import { createMemoryKeyStore, KeyManager, type KeyStore, KeyStoreError } from '../src/index.js';

const INTERVAL = 10_000;

function clock() {
  const c = { ms: Date.now(), now: () => c.ms, advance: (ms: number) => (c.ms += ms) };
  return c;
}

/** A store whose reads are counted and can be made to fail with a given code. */
function flaky(store: KeyStore) {
  // `reads` counts reads started, `done` reads finished (answered or failed).
  const state = {
    reads: 0,
    done: 0,
    failWith: undefined as undefined | 'ACCESS_DENIED' | 'UNAVAILABLE' | 'INTEGRITY',
  };
  const wrap =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      state.reads++;
      try {
        if (state.failWith)
          throw new KeyStoreError(state.failWith, 'refused by the test', { storeType: 'memory' });
        return await fn(...args);
      } finally {
        // After the caller's continuation has run: the cache has taken the answer in.
        setImmediate(() => state.done++);
      }
    };
  const wrapped: KeyStore = {
    ...store,
    getKeyPair: wrap(store.getKeyPair!.bind(store)),
    getKeyVersions: wrap(store.getKeyVersions!.bind(store)),
  };
  return { store: wrapped, state };
}

async function fleet(options: { signingRecheckMs?: number; env?: Record<string, string> } = {}) {
  const c = clock();
  const base = createMemoryKeyStore();
  const { store, state } = flaky(base);
  const cache = options.signingRecheckMs === undefined ? {} : { signingRecheckMs: options.signingRecheckMs };
  // The issuer: default TTL (300 s), so without the recheck it would sign with the old key for 5 minutes.
  const issuer = new KeyManager({ store, env: options.env ?? {}, now: c.now, cache });
  const operator = new KeyManager({ store: base, env: {}, now: c.now });
  await operator.generateKeyPair('agent');
  return { c, issuer, operator, state };
}

const kidOf = async (keys: KeyManager) => (await keys.signDetailed('agent', 'payload')).kid;

describe('signing recheck', () => {
  it('an emergency rotation elsewhere is signed with after one interval: one read, the sign never waits', async () => {
    const { c, issuer, operator, state } = await fleet();
    const old = await kidOf(issuer);
    const { kid: fresh } = await operator.rotateKeyPair('agent', { now: true });
    const reads = state.reads;
    // Within the interval: the cache answers, no read.
    c.advance(INTERVAL - 1);
    for (let i = 0; i < 50; i++) expect(await kidOf(issuer)).toBe(old);
    expect(state.reads).toBe(reads);
    expect(issuer.stats.rechecks).toBe(0);
    // Due: this sign still answers from the cache and starts one reread; 50 more signs start no other.
    c.advance(1);
    expect(await kidOf(issuer)).toBe(old);
    for (let i = 0; i < 50; i++) await issuer.sign('agent', 'payload');
    await vi.waitFor(() => expect(state.done).toBe(reads + 1));
    expect(issuer.stats.rechecks).toBe(1);
    expect(await kidOf(issuer)).toBe(fresh);
    expect((await issuer.getKeyPair('agent')).kid).toBe(fresh);
    // The next recheck is one interval after that read.
    c.advance(INTERVAL - 1);
    await issuer.sign('agent', 'payload');
    expect(state.reads).toBe(reads + 1);
  });

  it('a recheck that finds the versions changed emits `changed` (a JWKS handler rebuilds on it); one that finds nothing new does not', async () => {
    const { c, issuer, operator, state } = await fleet();
    await issuer.sign('agent', 'payload');
    const changed: string[] = [];
    issuer.subscribe((e) => {
      if (e.type === 'changed') changed.push(e.keyId);
    });
    let reads = state.reads;
    c.advance(INTERVAL);
    await issuer.sign('agent', 'payload');
    await vi.waitFor(() => expect(state.done).toBe(reads + 1));
    expect(changed).toEqual([]);
    await operator.rotateKeyPair('agent', { now: true });
    reads = state.reads;
    c.advance(INTERVAL);
    await issuer.sign('agent', 'payload');
    await vi.waitFor(() => expect(state.done).toBe(reads + 1));
    expect(changed).toEqual(['agent']);
  });

  it('getKeyPair (the pair an agent signs with) rechecks too; a verify-only id is never reread', async () => {
    const { c, issuer, operator, state } = await fleet();
    await issuer.getKeyPair('agent');
    await issuer.verify('agent', 'x', new Uint8Array(64));
    const { kid: fresh } = await operator.rotateKeyPair('agent', { now: true });
    const reads = state.reads;
    c.advance(INTERVAL);
    for (let i = 0; i < 20; i++) await issuer.getPublicKeyPair('agent');
    expect(state.reads).toBe(reads);
    await issuer.getKeyPair('agent');
    await vi.waitFor(() => expect(state.done).toBe(reads + 1));
    expect((await issuer.getKeyPair('agent')).kid).toBe(fresh);
  });

  it('a revoked credential (ACCESS_DENIED) or a tampered store (INTEGRITY) stops signing at the recheck, within the TTL', async () => {
    for (const code of ['ACCESS_DENIED', 'INTEGRITY'] as const) {
      const { c, issuer, state } = await fleet();
      await issuer.sign('agent', 'payload');
      const events: string[] = [];
      issuer.subscribe((e) => events.push(e.type));
      state.failWith = code;
      c.advance(INTERVAL);
      await issuer.sign('agent', 'payload'); // answered from the cache; the recheck fails behind it
      await vi.waitFor(() => expect(events).toContain('error'));
      await expect(issuer.sign('agent', 'payload')).rejects.toMatchObject({ code });
      expect(issuer.stats.stale).toBe(0);
    }
  });

  it('an outage keeps the cached key until its TTL (then the stale window), and is retried once per interval', async () => {
    const { c, issuer, state } = await fleet();
    const kid = await kidOf(issuer);
    state.failWith = 'UNAVAILABLE';
    const reads = state.reads;
    c.advance(INTERVAL);
    await issuer.sign('agent', 'payload');
    await vi.waitFor(() => expect(state.done).toBe(reads + 1));
    for (let i = 0; i < 20; i++) expect(await kidOf(issuer)).toBe(kid);
    expect(state.reads).toBe(reads + 1);
    c.advance(INTERVAL);
    await issuer.sign('agent', 'payload');
    await vi.waitFor(() => expect(state.done).toBe(reads + 2));
  });

  it('with auditing on, sign and getKeyPair recheck as well', async () => {
    const c = clock();
    const base = createMemoryKeyStore();
    const { store, state } = flaky(base);
    const issuer = new KeyManager({ store, env: {}, now: c.now, onEvent: () => {} });
    const operator = new KeyManager({ store: base, env: {}, now: c.now });
    await operator.generateKeyPair('agent');
    await issuer.getKeyPair('agent');
    const { kid: fresh } = await operator.rotateKeyPair('agent', { now: true });
    const reads = state.reads;
    c.advance(INTERVAL);
    await issuer.getKeyPair('agent');
    await vi.waitFor(() => expect(state.done).toBe(reads + 1));
    expect((await issuer.signDetailed('agent', 'payload')).kid).toBe(fresh);
  });

  it('a revocation (revokePrevious) elsewhere: the issuer signs with the new key after one interval', async () => {
    const { c, issuer, operator, state } = await fleet();
    await issuer.sign('agent', 'payload');
    const { kid: fresh } = await operator.rotateKeyPair('agent', { revokePrevious: true });
    const reads = state.reads;
    c.advance(INTERVAL);
    await issuer.sign('agent', 'payload');
    await vi.waitFor(() => expect(state.done).toBe(reads + 1));
    expect(await kidOf(issuer)).toBe(fresh);
  });

  it('0 turns it off (the TTL alone bounds it); PHLOW_KEY_CACHE_SIGNING_RECHECK_SECONDS sets it; bad values are INVALID_CONFIG', async () => {
    const off = await fleet({ signingRecheckMs: 0 });
    await off.issuer.sign('agent', 'payload');
    const reads = off.state.reads;
    off.c.advance(200_000);
    for (let i = 0; i < 10; i++) await off.issuer.sign('agent', 'payload');
    expect(off.state.reads).toBe(reads);
    expect(off.issuer.stats.rechecks).toBe(0);

    const fromEnv = await fleet({ env: { PHLOW_KEY_CACHE_SIGNING_RECHECK_SECONDS: '2' } });
    await fromEnv.issuer.sign('agent', 'payload');
    const before = fromEnv.state.reads;
    fromEnv.c.advance(2000);
    await fromEnv.issuer.sign('agent', 'payload');
    await vi.waitFor(() => expect(fromEnv.state.done).toBe(before + 1));

    for (const value of ['-1', 'soon', 'NaN']) {
      expect(
        () =>
          new KeyManager({
            store: createMemoryKeyStore(),
            env: { PHLOW_KEY_CACHE_SIGNING_RECHECK_SECONDS: value },
          }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });
});
