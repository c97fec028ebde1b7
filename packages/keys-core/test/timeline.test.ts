/**
 * Issue 18: the rotation timeline decided once, and the KeyManager calls that name the key they use.
 * - getKeyPair is the pair sign uses (the guide's meaning); getNewestKeyPair the newest even while pending;
 * - signDetailed names the key of its signature, one audited sign event;
 * - getKeyByKid refetches an unknown kid once per cooldown;
 * - the activation time is fixed at rotation and stored with the version where the store declares
 *   `activation` (one write for an emergency rotation); replicas with other delays agree on the signing key
 *   and a key replaced by an active newer key never signs again;
 * - a rotation keeps the algorithm of the key it replaces.
 * Replicas are KeyManagers over one memory store with a shared fake clock; the multi-process versions of these
 * checks are apps/cli/test/fleet-timeline.test.ts.
 */
import { verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createMemoryKeyStore,
  type KeyAuditEvent,
  KeyManager,
  type KeyManagerOptions,
  type KeyStore,
  type StoreKeyPairOptions,
} from '../src/index.js';
import { rotationTimeline } from '../src/rotation-timeline.js';

const GRACE = 3_600_000;
const TTL = 1000;

/** One memory store (its versions stamped with the test's clock), its writes, and replicas on it. */
function fleet(store: KeyStore = createMemoryKeyStore()) {
  const clock = { now: Date.now() };
  const writes: StoreKeyPairOptions[] = [];
  let versionReads = 0;
  const stamps = new Map<string, Date>();
  const stamped: KeyStore = {
    ...store,
    async storeKeyPair(id, privateKey, publicKey, options = {}) {
      writes.push(options);
      await store.storeKeyPair(id, privateKey, publicKey, options);
      stamps.set(`${id}@${(await store.getKeyPair!(id))!.version}`, new Date(clock.now));
    },
    async getKeyVersions(id) {
      versionReads++;
      return (await store.getKeyVersions!(id)).map((v) => ({
        ...v,
        createdAt: stamps.get(`${id}@${v.version}`) ?? v.createdAt,
      }));
    },
  };
  const replica = (delayMs: number, overrides: Partial<KeyManagerOptions> = {}) =>
    new KeyManager({
      store: stamped,
      env: {},
      now: () => clock.now,
      rotationDelayMs: delayMs,
      rotationGracePeriodMs: GRACE,
      cache: { ttlMs: TTL, staleIfErrorMs: 0, refetchCooldownMs: 1000 },
      ...overrides,
    });
  return { store: stamped, clock, writes, replica, reads: () => versionReads };
}

/** The kid of the key that made an EdDSA `signature` of `message`, among `manager`'s verification keys. */
async function signer(manager: KeyManager, keyId: string, message: string, signature: Uint8Array) {
  for (const pair of await manager.getVerificationKeys(keyId)) {
    if (nodeVerify(null, Buffer.from(message), pair.publicKey, signature)) return pair.kid;
  }
  return undefined;
}

describe('getKeyPair is the pair sign uses', () => {
  it('during a staged rotation: the previous key until activation, the new one from then; getNewestKeyPair the new one throughout', async () => {
    const { clock, replica } = fleet();
    const a = replica(60_000);
    const old = await a.generateKeyPair('k');
    const r = await a.rotateKeyPair('k');
    for (const at of [clock.now, r.activatesAt.getTime() - 1, r.activatesAt.getTime()]) {
      clock.now = at;
      const pair = await a.getKeyPair('k');
      const signed = await signer(a, 'k', 'm', await a.sign('k', 'm'));
      expect(pair.kid).toBe(signed);
      expect((await a.getPublicKeyPair('k')).kid).toBe(signed);
      expect((await a.getNewestKeyPair('k')).kid).toBe(r.kid);
      expect(signed).toBe(at < r.activatesAt.getTime() ? old.kid : r.kid);
    }
  });

  it('signDetailed returns the signature with the kid, alg and version of its key, as one audited sign event', async () => {
    const events: KeyAuditEvent[] = [];
    const { replica } = fleet();
    const a = replica(60_000, { onEvent: (e) => e.type === 'audit' && events.push(e) });
    const old = await a.generateKeyPair('k');
    await a.rotateKeyPair('k');
    events.length = 0;
    const result = await a.signDetailed('k', 'm');
    expect(result).toMatchObject({ keyId: 'k', kid: old.kid, alg: 'EdDSA', version: old.version });
    expect(await signer(a, 'k', 'm', result.signature)).toBe(old.kid);
    expect(events.map((e) => [e.operation, e.kid, e.version])).toEqual([['sign', old.kid, old.version]]);
  });
});

describe('getKeyByKid: the one refetch on an unknown kid', () => {
  it('finds a key another process just wrote, and a flood of unknown kids costs one read per cooldown', async () => {
    const { clock, replica, reads } = fleet();
    const writer = replica(0);
    // A TTL far longer than the cooldown: only the refetch can show the new key.
    const reader = replica(0, { cache: { ttlMs: 600_000, staleIfErrorMs: 0, refetchCooldownMs: 1000 } });
    await writer.generateKeyPair('k');
    await reader.getVerificationKeys('k');
    const { kid } = await writer.rotateKeyPair('k');
    clock.now += 1000;
    const before = reads();
    expect((await reader.getKeyByKid('k', kid)).kid).toBe(kid);
    expect(reads()).toBe(before + 1);
    const unknown = await Promise.all(
      Array.from({ length: 50 }, () =>
        reader.getKeyByKid('k', 'made-up').catch((e: { code: string }) => e.code),
      ),
    );
    expect(unknown.every((code) => code === 'NOT_FOUND')).toBe(true);
    expect(reads()).toBe(before + 1); // inside the cooldown of the read above
    clock.now += 1000;
    await reader.getKeyByKid('k', 'made-up').catch(() => undefined);
    expect(reads()).toBe(before + 2);
  });
});

describe('the activation time is fixed at rotation', () => {
  it('is stored with the version: rotation time + the rotating process delay', async () => {
    const { clock, replica, writes } = fleet();
    const a = replica(60_000);
    await a.generateKeyPair('k');
    const rotatedAt = clock.now;
    const r = await a.rotateKeyPair('k');
    expect(writes.at(-1)?.activatesAt?.getTime()).toBe(rotatedAt + 60_000);
    expect(r.activatesAt.getTime()).toBe(rotatedAt + 60_000);
    expect((await a.rotationState('k')).activatesAt?.getTime()).toBe(rotatedAt + 60_000);
  });

  it('replicas with other delay settings agree on the signing key at every moment', async () => {
    const { clock, replica } = fleet();
    const replicas = [0, 5_000, 60_000, 600_000].map((delay) => replica(delay));
    const rotator = replica(60_000);
    await rotator.generateKeyPair('k');
    const r = await rotator.rotateKeyPair('k');
    for (const at of [1, 30_000, 59_999, 60_000, 120_000, 700_000]) {
      clock.now = r.activatesAt.getTime() - 60_000 + at;
      const kids = await Promise.all(
        replicas.map(async (m) => (await m.getKeyPair('k', { forceFetch: true })).kid),
      );
      expect(new Set(kids).size).toBe(1);
      expect(kids[0]).toBe(at < 60_000 ? r.previousKid : r.kid);
    }
  });

  it('a key replaced by an active newer key never signs again, also on a replica restarted with a longer delay', async () => {
    const { clock, replica } = fleet();
    const first = await replica(5_000).generateKeyPair('k');
    const second = await replica(5_000).rotateKeyPair('k');
    clock.now = second.activatesAt.getTime() + 1000; // second signs everywhere now
    const third = await replica(600_000).rotateKeyPair('k'); // pending for 600 s
    // "Restarted" replicas (fresh managers) with every delay: the previous key (second) signs, never first.
    for (const delay of [0, 5_000, 60_000, 600_000, 3_000_000]) {
      const signing = await replica(delay).getKeyPair('k');
      expect(signing.kid).not.toBe(first.kid);
      expect(signing.kid).toBe(second.kid);
    }
    clock.now = third.activatesAt.getTime();
    expect((await replica(3_000_000).getKeyPair('k')).kid).toBe(third.kid);
  });

  it('rotate now writes once with activatesAt = now on a store with activation, and signs at once everywhere', async () => {
    const { clock, replica, writes, store } = fleet();
    const a = replica(60_000);
    await a.generateKeyPair('k');
    const count = writes.length;
    const r = await a.rotateKeyPair('k', { now: true });
    expect(writes.length - count).toBe(1);
    expect(writes.at(-1)?.activatesAt?.getTime()).toBe(clock.now);
    expect(await store.getKeyVersions!('k')).toHaveLength(2);
    expect(r.activatesAt.getTime()).toBe(clock.now);
    for (const delay of [0, 60_000, 600_000]) expect((await replica(delay).getKeyPair('k')).kid).toBe(r.kid);
  });

  it('a store without activation keeps the two-write marker for now, and the derived rule', async () => {
    const inner = createMemoryKeyStore();
    const { replica, writes, store } = fleet({
      ...inner,
      capabilities: { ...inner.capabilities, activation: false },
    });
    const a = replica(60_000);
    await a.generateKeyPair('k');
    const count = writes.length;
    const r = await a.rotateKeyPair('k', { now: true });
    expect(writes.length - count).toBe(2);
    expect(writes.slice(count).every((w) => w.activatesAt === undefined)).toBe(true);
    expect(await store.getKeyVersions!('k')).toHaveLength(3);
    expect((await replica(600_000).getKeyPair('k')).kid).toBe(r.kid);
  });
});

describe('rotation keeps the algorithm of the key it replaces', () => {
  it('RSA stays RSA (Python RS256 verifiers), and algorithm changes it when asked', async () => {
    const { replica } = fleet();
    const a = replica(0, { rotationGracePeriodMs: GRACE });
    const rsa = await a.generateKeyPair('py', { algorithm: 'RS256' });
    expect(rsa.alg).toBe('RS256');
    const rotated = await a.rotateKeyPair('py');
    expect(rotated.keyPair.alg).toBe('RS256');
    expect(rotated.keyPair.jwk).toMatchObject({ kty: 'RSA', alg: 'RS256' });
    expect((await a.signDetailed('py', 'm')).alg).toBe('RS256');
    const ed = await a.rotateKeyPair('py', { algorithm: 'EdDSA' });
    expect(ed.keyPair.alg).toBe('EdDSA');
    const es = await a.generateKeyPair('p256', { algorithm: 'ES256' });
    expect((await a.rotateKeyPair('p256')).keyPair.alg).toBe(es.alg);
    await expect(a.rotateKeyPair('py', { algorithm: 'HS256' as never })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
  });
});

describe('rotationTimeline with stored activation times', () => {
  const t0 = 1_000_000;
  const v = (kid: string, at: number, activatesAt?: number | Date) => ({
    kid,
    createdAt: new Date(t0 + at),
    activatesAt: typeof activatesAt === 'number' ? new Date(t0 + activatesAt) : activatesAt,
  });

  it('a stored time wins over any delay; a missing or unparseable one falls back to createdAt + delay', () => {
    const versions = [v('b', 10, 100), v('a', 0)];
    for (const delayMs of [0, 50, 10_000]) {
      expect(rotationTimeline(versions, t0 + 99, { delayMs, graceMs: 1000 }).signing.kid).toBe('a');
      expect(rotationTimeline(versions, t0 + 100, { delayMs, graceMs: 1000 }).signing.kid).toBe('b');
    }
    const legacy = [v('b', 10, new Date(Number.NaN)), v('a', 0)];
    expect(rotationTimeline(legacy, t0 + 59, { delayMs: 50, graceMs: 1000 }).signing.kid).toBe('a');
    expect(rotationTimeline(legacy, t0 + 60, { delayMs: 50, graceMs: 1000 }).signing.kid).toBe('b');
  });

  it('says until when its answer holds: the next activation or retirement', () => {
    const versions = [v('c', 20, 500), v('b', 10, 100), v('a', 0)];
    const settings = { delayMs: 0, graceMs: 1000 };
    expect(rotationTimeline(versions, t0 + 50, settings).until).toBe(t0 + 100);
    expect(rotationTimeline(versions, t0 + 200, settings).until).toBe(t0 + 500);
    // a retires grace after b took over: b's stored activation (100), later than its write (10).
    expect(rotationTimeline(versions, t0 + 600, settings).until).toBe(t0 + 1100);
  });

  it('a key verifies for a whole grace after it last signs, even when a stored activation comes after its grace', () => {
    // Written by a process with a longer delay than this replica's grace (or a far-future stored value).
    const versions = [v('b', 10, 5_000), v('a', 0)];
    const settings = { delayMs: 0, graceMs: 1000 };
    for (const at of [500, 2_000, 4_999]) {
      const timeline = rotationTimeline(versions, t0 + at, settings);
      expect(timeline.signing.kid).toBe('a');
      expect(timeline.verifying.map((k) => k.kid)).toEqual(['b', 'a']);
    }
    expect(rotationTimeline(versions, t0 + 5_999, settings).verifying.map((k) => k.kid)).toEqual(['b', 'a']);
    const after = rotationTimeline(versions, t0 + 6_000, settings);
    expect([after.signing.kid, after.verifying.map((k) => k.kid)]).toEqual(['b', ['b']]);
  });

  it('a key stops verifying a grace after the first newer key took over, even when that skipped a pending one', () => {
    // a signs; b is staged (activation 5000); c is an emergency rotation at 100 that signs at once.
    const versions = [v('c', 100, 100), v('b', 10, 5_000), v('a', 0)];
    const settings = { delayMs: 0, graceMs: 0 };
    const timeline = rotationTimeline(versions, t0 + 101, settings);
    expect(timeline.signing.kid).toBe('c');
    expect(timeline.verifying.map((k) => k.kid)).toEqual(['c']);
    const graced = rotationTimeline(versions, t0 + 101, { delayMs: 0, graceMs: 50 });
    expect(graced.verifying.map((k) => k.kid)).toEqual(['c', 'b', 'a']);
    expect(graced.until).toBe(t0 + 150);
  });

  it('an invalid write time reads as absent: the answer stays a valid key and a finite or infinite time', () => {
    const versions = [
      { kid: 'b', createdAt: new Date(Number.NaN), activatesAt: undefined },
      { kid: 'a', createdAt: new Date(t0) },
    ];
    const timeline = rotationTimeline(versions, t0 + 10, { delayMs: 50, graceMs: 1000 });
    expect(Number.isNaN(timeline.until)).toBe(false);
    expect(timeline.verifying.map((k) => k.kid)).toContain(timeline.signing.kid);
  });
});
