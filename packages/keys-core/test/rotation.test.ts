/**
 * The rotation timeline through KeyManager: staged activation, refetch on a miss, settings that cannot work
 * together, scheduled (by age, compare-and-set) and emergency rotation. Replicas are separate KeyManagers
 * over one memory store with a shared fake clock; the multi-process fleet tests live in apps/cli.
 */
import { describe, expect, it } from 'vitest';
import {
  createMemoryKeyStore,
  KeyManager,
  type KeyManagerOptions,
  type KeyStore,
  KeyStoreError,
} from '../src/index.js';
import { rotationTimeline } from '../src/rotation-timeline.js';

const DELAY = 60_000;
const TTL = 10_000;
const GRACE = 3_600_000;

/**
 * A memory store that counts version reads, can fail them, and stamps each version with the test's clock
 * (the memory store stamps real time), and that clock.
 */
function fleet(settings: Partial<KeyManagerOptions> = {}) {
  const inner = createMemoryKeyStore();
  const state = { versionReads: 0, down: false };
  const clock = { now: Date.now() };
  const writtenAt = new Map<string, Date>();
  const stamp = <V extends { version?: string; createdAt?: Date }>(id: string, v: V): V => ({
    ...v,
    createdAt: writtenAt.get(`${id}@${v.version}`),
  });
  const store: KeyStore = {
    ...inner,
    async storeKeyPair(id, privateKey, publicKey, options) {
      await inner.storeKeyPair(id, privateKey, publicKey, options);
      const current = await inner.getKeyPair!(id);
      writtenAt.set(`${id}@${current!.version}`, new Date(clock.now));
    },
    async deleteKeyPair(id, options) {
      await inner.deleteKeyPair(id, options);
      for (const key of writtenAt.keys()) if (key.startsWith(`${id}@`)) writtenAt.delete(key);
    },
    async getKeyPair(id) {
      const pair = await inner.getKeyPair!(id);
      return pair && stamp(id, pair);
    },
    async getKeyVersions(id) {
      state.versionReads++;
      if (state.down) throw new KeyStoreError('UNAVAILABLE', 'backend down', { storeType: 'memory' });
      return (await inner.getKeyVersions!(id)).map((v) => stamp(id, v));
    },
  };
  const replica = (overrides: Partial<KeyManagerOptions> = {}) =>
    new KeyManager({
      store,
      env: {},
      now: () => clock.now,
      rotationDelayMs: DELAY,
      rotationGracePeriodMs: GRACE,
      cache: { ttlMs: TTL, staleIfErrorMs: 0, refetchCooldownMs: 1000 },
      ...settings,
      ...overrides,
    });
  return { store, state, clock, replica };
}

/** The kid of the key that made `signature`, as one of `manager`'s verification keys sees it. */
async function signedBy(manager: KeyManager, keyId: string, signature: Uint8Array) {
  const { verify } = await import('node:crypto');
  for (const pair of await manager.getVerificationKeys(keyId)) {
    if (verify(null, Buffer.from('m'), pair.publicKey, signature)) return pair.kid;
  }
  return undefined;
}

describe('staged activation', () => {
  it('publishes the new key at once and signs with it from createdAt + delay, in every replica by itself', async () => {
    const { clock, replica } = fleet();
    const [a, b] = [replica(), replica()];
    const old = await a.generateKeyPair('k');
    expect(await signedBy(b, 'k', await b.sign('k', 'm'))).toBe(old.kid); // b has the list cached now
    const r = await a.rotateKeyPair('k');
    const written = (await a.rotationState('k')).current.createdAt!.getTime();
    expect(r.activatesAt.getTime()).toBe(written + DELAY);
    // The memory store keeps the activation time: grace counts from it, a whole grace after the old key last signs.
    expect(r.previousRetiresAt.getTime()).toBe(written + DELAY + GRACE);
    // Published at once: in the JWK Set and verifying, while the old key still signs.
    expect((await a.jwks(['k'])).keys.map((k) => k.kid)).toEqual([r.kid, old.kid]);
    expect(await signedBy(a, 'k', await a.sign('k', 'm'))).toBe(old.kid);
    expect((await a.rotationState('k')).activatesAt).toEqual(r.activatesAt);
    clock.now = r.activatesAt.getTime() - 1;
    expect(await signedBy(a, 'k', await a.sign('k', 'm'))).toBe(old.kid);
    clock.now = r.activatesAt.getTime();
    expect(await signedBy(a, 'k', await a.sign('k', 'm'))).toBe(r.kid);
    // b refreshes at its TTL (long before the delay ends) and switches at the same moment, no write needed.
    expect(await signedBy(b, 'k', await b.sign('k', 'm'))).toBe(r.kid);
    expect((await b.rotationState('k')).activatesAt).toBeUndefined();
  });

  it('delay 0 switches at once', async () => {
    const { replica } = fleet();
    const a = replica({ rotationDelayMs: 0 });
    await a.generateKeyPair('k');
    const r = await a.rotateKeyPair('k');
    expect(await signedBy(a, 'k', await a.sign('k', 'm'))).toBe(r.kid);
    expect((await a.rotationState('k')).activatesAt).toBeUndefined();
  });

  it('the default delay is 900 s, 0 when the grace period is 0; read from PHLOW_KEY_ROTATION_DELAY_SECONDS', () => {
    const store = createMemoryKeyStore();
    expect(new KeyManager({ store, env: {} }).rotationDelayMs).toBe(900_000);
    expect(new KeyManager({ store, env: { PHLOW_KEY_ROTATION_GRACE_SECONDS: '0' } }).rotationDelayMs).toBe(0);
    expect(new KeyManager({ store, env: { PHLOW_KEY_ROTATION_DELAY_SECONDS: '30' } }).rotationDelayMs).toBe(
      30_000,
    );
    expect(() => new KeyManager({ store, env: { PHLOW_KEY_ROTATION_DELAY_SECONDS: 'soon' } })).toThrow(
      /PHLOW_KEY_ROTATION_DELAY_SECONDS/,
    );
  });

  it('a key rotated twice inside the delay: the oldest still-held key keeps signing until one activates', () => {
    const t0 = 1_000_000;
    const v = (kid: string, at: number) => ({ kid, createdAt: new Date(t0 + at) });
    const versions = [v('c', 20), v('b', 10), v('a', 0)];
    const settings = { delayMs: 100, graceMs: 1000 };
    expect(rotationTimeline(versions, t0 + 50, settings).signing.kid).toBe('a');
    expect(rotationTimeline(versions, t0 + 110, settings).signing.kid).toBe('b');
    expect(rotationTimeline(versions, t0 + 120, settings).signing.kid).toBe('c');
    expect(rotationTimeline(versions, t0 + 50, settings).verifying.map((k) => k.kid)).toEqual([
      'c',
      'b',
      'a',
    ]);
    // a was replaced at +10: retired at +1010.
    expect(rotationTimeline(versions, t0 + 1010, settings).verifying.map((k) => k.kid)).toEqual(['c', 'b']);
  });
});

describe('signing with the published next key, and with a held key', () => {
  it('signDetailed { kid } signs with the pending key during the delay; an in-grace or unknown kid is NOT_FOUND', async () => {
    const { clock, replica } = fleet();
    const a = replica();
    const old = await a.generateKeyPair('k');
    await expect(a.signDetailed('k', 'm', { kid: 'no-such-kid' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await a.signDetailed('k', 'm', { kid: old.kid })).kid).toBe(old.kid);
    const r = await a.rotateKeyPair('k');
    const next = await a.signDetailed('k', 'm', { kid: r.kid });
    expect(next.kid).toBe(r.kid);
    expect(await signedBy(a, 'k', next.signature)).toBe(r.kid);
    expect((await a.signDetailed('k', 'm')).kid).toBe(old.kid); // the signing key is unchanged
    clock.now = r.activatesAt.getTime();
    expect((await a.signDetailed('k', 'm')).kid).toBe(r.kid);
    // The old key verifies in its grace period but no longer signs, not even when named.
    expect((await a.getVerificationKeys('k')).map((p) => p.kid)).toContain(old.kid);
    await expect(a.signDetailed('k', 'm', { kid: old.kid })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('signWithKey refuses a held pair once its key no longer verifies (revoked by an emergency rotation)', async () => {
    const { replica } = fleet();
    const a = replica();
    await a.generateKeyPair('k');
    const held = await a.getPublicKeyPair('k');
    expect(await signedBy(a, 'k', await a.signWithKey(held, 'm'))).toBe(held.kid);
    await a.rotateKeyPair('k', { now: true, revokePrevious: true });
    await expect(a.signWithKey(held, 'm')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(a.signWithKey(held, 'm')).rejects.toThrow(/no longer verifies/);
  });
});

describe('refetch on a miss', () => {
  it('a key another process wrote verifies before the TTL; a flood of bad signatures costs one read per cooldown', async () => {
    const { clock, replica, state } = fleet({ rotationDelayMs: 0 });
    const [writer, verifier] = [replica(), replica()];
    await writer.generateKeyPair('k');
    expect(await verifier.verify('k', 'm', await writer.sign('k', 'm'))).toBe(true);
    await writer.rotateKeyPair('k');
    const fresh = await writer.sign('k', 'm');
    // Inside the cooldown the cached list decides: no read, and the new key's signature is not known yet.
    const reads = state.versionReads;
    expect(await verifier.verify('k', 'm', fresh)).toBe(false);
    expect(state.versionReads).toBe(reads);
    clock.now += 1000;
    expect(await verifier.verify('k', 'm', fresh)).toBe(true);
    expect(state.versionReads).toBe(reads + 1);

    clock.now += 1000;
    const bad = new Uint8Array(64);
    const flood = await Promise.all(Array.from({ length: 100 }, () => verifier.verify('k', 'm', bad)));
    expect(flood.every((ok) => ok === false)).toBe(true);
    expect(state.versionReads).toBe(reads + 2);
    for (let i = 0; i < 100; i++) expect(await verifier.verify('k', 'm', bad)).toBe(false);
    expect(state.versionReads).toBe(reads + 2);
    clock.now += 1000;
    for (let i = 0; i < 100; i++) expect(await verifier.verify('k', 'm', bad)).toBe(false);
    expect(state.versionReads).toBe(reads + 3);
  }, 60_000);

  it('a refetch that fails keeps the cached keys, reports an error event and does not hammer the store', async () => {
    const events: string[] = [];
    const { clock, replica, state } = fleet({ rotationDelayMs: 0 });
    const verifier = replica({ onEvent: (e) => e.type !== 'audit' && events.push(e.type) });
    const owner = replica();
    await owner.generateKeyPair('k');
    const good = await owner.sign('k', 'm');
    expect(await verifier.verify('k', 'm', good)).toBe(true);
    state.down = true;
    clock.now += 1000;
    const reads = state.versionReads;
    for (let i = 0; i < 100; i++) expect(await verifier.verify('k', 'm', new Uint8Array(64))).toBe(false);
    expect(state.versionReads).toBe(reads + 1);
    expect(events).toEqual(['error']);
    expect(await verifier.verify('k', 'm', good)).toBe(true); // still cached
  }, 60_000);

  it('PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS sets the cooldown (default 30 s)', () => {
    const store = createMemoryKeyStore();
    expect(new KeyManager({ store, env: {} }).refetchCooldownMs).toBe(30_000);
    expect(
      new KeyManager({ store, env: { PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS: '5' } }).refetchCooldownMs,
    ).toBe(5000);
  });
});

describe('settings that cannot work together', () => {
  it('grace shorter than delay + TTL + stale window is INVALID_CONFIG naming every variable', () => {
    const store = createMemoryKeyStore();
    const make = () =>
      new KeyManager({
        store,
        env: {
          PHLOW_KEY_ROTATION_GRACE_SECONDS: '1000',
          PHLOW_KEY_ROTATION_DELAY_SECONDS: '600',
          PHLOW_KEY_CACHE_TTL_SECONDS: '300',
          PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS: '300',
        },
      });
    expect(make).toThrow(KeyStoreError);
    try {
      make();
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
      for (const name of [
        'PHLOW_KEY_ROTATION_GRACE_SECONDS',
        'PHLOW_KEY_ROTATION_DELAY_SECONDS',
        'PHLOW_KEY_CACHE_TTL_SECONDS',
        'PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS',
      ])
        expect((error as Error).message).toContain(name);
      expect((error as Error).message).toContain('1200');
    }
    // Exactly enough is fine.
    expect(
      () =>
        new KeyManager({
          store,
          env: { PHLOW_KEY_ROTATION_GRACE_SECONDS: '1200', PHLOW_KEY_ROTATION_DELAY_SECONDS: '600' },
          cache: { ttlMs: 300_000, staleIfErrorMs: 300_000 },
        }),
    ).not.toThrow();
  });

  it('grace 0 with a delay is INVALID_CONFIG; grace 0 alone means delay 0', () => {
    const store = createMemoryKeyStore();
    expect(() => new KeyManager({ store, env: {}, rotationGracePeriodMs: 0, rotationDelayMs: 1 })).toThrow(
      /PHLOW_KEY_ROTATION_DELAY_SECONDS=0/,
    );
    expect(new KeyManager({ store, env: {}, rotationGracePeriodMs: 0 }).rotationDelayMs).toBe(0);
  });
});

describe('scheduled rotation: rotateIfOlderThan', () => {
  it('rotates only a key older than the limit', async () => {
    const { clock, replica } = fleet();
    const a = replica();
    const first = await a.generateKeyPair('k');
    const young = await a.rotateIfOlderThan('k', 90_000);
    expect(young).toMatchObject({ rotated: false, kid: first.kid });
    clock.now += 90_000;
    const old = await a.rotateIfOlderThan('k', 90_000);
    expect(old.rotated).toBe(true);
    expect(old.rotated && old.previousKid).toBe(first.kid);
    expect((await a.rotateIfOlderThan('k', 90_000)).rotated).toBe(false);
    await expect(a.rotateIfOlderThan('k', -1)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('of 8 replicas asking at once, exactly one rotates', async () => {
    const { clock, replica, store } = fleet();
    await replica().generateKeyPair('k');
    clock.now += 100_000;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => replica().rotateIfOlderThan('k', 90_000)),
    );
    expect(results.filter((r) => r.rotated)).toHaveLength(1);
    expect(await store.getKeyVersions!('k')).toHaveLength(2);
  });
});

describe('emergency rotation', () => {
  it('now: every replica signs with the new key once its cache refreshes; the old key keeps verifying', async () => {
    const { clock, replica } = fleet();
    const [a, b] = [replica(), replica()];
    const old = await a.generateKeyPair('k');
    const oldSignature = await b.sign('k', 'm');
    const r = await a.rotateKeyPair('k', { now: true });
    expect(r.activatesAt.getTime()).toBeLessThanOrEqual(clock.now);
    expect(await signedBy(a, 'k', await a.sign('k', 'm'))).toBe(r.kid);
    clock.now += TTL;
    expect(await signedBy(b, 'k', await b.sign('k', 'm'))).toBe(r.kid);
    expect(await b.verify('k', 'm', oldSignature)).toBe(true);
    expect((await b.getVerificationKeys('k')).map((k) => k.kid)).toEqual([r.kid, old.kid]);
    // A later ordinary rotation is staged again; the emergency key signs meanwhile.
    const later = await a.rotateKeyPair('k');
    expect(await signedBy(a, 'k', await a.sign('k', 'm'))).toBe(r.kid);
    expect(later.activatesAt.getTime()).toBeGreaterThan(clock.now);
  });

  it('revokePrevious: the old key stops verifying in every replica within one cache TTL', async () => {
    const { clock, replica } = fleet();
    const [a, b] = [replica(), replica()];
    await a.generateKeyPair('k');
    const oldSignature = await b.sign('k', 'm');
    expect(await b.verify('k', 'm', oldSignature)).toBe(true);
    const r = await a.rotateKeyPair('k', { revokePrevious: true });
    expect(r.previousRetiresAt.getTime()).toBeLessThanOrEqual(clock.now);
    expect(await a.verify('k', 'm', oldSignature)).toBe(false);
    expect(await signedBy(a, 'k', await a.sign('k', 'm'))).toBe(r.kid);
    clock.now += TTL;
    expect(await b.verify('k', 'm', oldSignature)).toBe(false);
    expect(await signedBy(b, 'k', await b.sign('k', 'm'))).toBe(r.kid);
    expect((await b.jwks(['k'])).keys.map((k) => k.kid)).toEqual([r.kid]);
  });
});

describe('getSigningKey', () => {
  it('names the key sign uses: the previous one during the delay', async () => {
    const { clock, replica } = fleet();
    const a = replica();
    const old = await a.generateKeyPair('k');
    const r = await a.rotateKeyPair('k');
    expect((await a.getSigningKey('k')).kid).toBe(old.kid);
    // getKeyPair is the pair sign uses (issue 18); the newest, not yet signing key has its own method.
    expect((await a.getKeyPair('k')).kid).toBe(old.kid);
    expect((await a.getNewestKeyPair('k')).kid).toBe(r.kid);
    clock.now = r.activatesAt.getTime();
    expect((await a.getSigningKey('k')).kid).toBe(r.kid);
    expect((await a.getKeyPair('k')).kid).toBe(r.kid);
  });
});

describe('revocation is never scheduled', () => {
  it('rotateIfOlderThan refuses revokePrevious (INVALID_CONFIG) and changes nothing', async () => {
    const { replica, store } = fleet();
    const a = replica();
    await a.generateKeyPair('k');
    await expect(a.rotateIfOlderThan('k', 0, { revokePrevious: true })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    expect(await store.getKeyVersions!('k')).toHaveLength(1);
  });
});
