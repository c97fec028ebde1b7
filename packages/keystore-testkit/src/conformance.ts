/**
 * The KeyStore conformance suite. An adapter runs it in a few lines:
 *
 *   runKeyStoreConformance({ name: 'vault', create: () => createVaultKeyStore(), cleanup: (s) => s.close?.() });
 *
 * Each group is exported on its own too. Groups that need a capability the store does not declare are
 * reported as skipped with the reason (never silently); everything else always runs. Ids are unique per
 * run, so the suite can share a backend with other tests; ids it wrote are deleted (destroy) at the end.
 */
import { isKeyStoreError, KeyManager, type KeyStore, type KeyStoreErrorCode } from '@phlow/keys-core';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { ed25519Pair, type PemPair, rsa4096Pair, uniqueKeyId } from './fixtures.js';

export type ConformanceGroup =
  | 'reads'
  | 'keyIds'
  | 'writes'
  | 'concurrency'
  | 'versions'
  | 'rotation'
  | 'errors';

export interface ConformanceOptions<S extends KeyStore = KeyStore> {
  /** Shown in the suite's title. */
  readonly name: string;
  /** Creates the store under test; called once for the suite. */
  readonly create: () => S | Promise<S>;
  /** Called once after the suite, after the suite's own ids were deleted. */
  readonly cleanup?: (store: S) => void | Promise<void>;
  /**
   * Puts a pair where a read-only store reads it (for the env store: sets the variables). Writable stores
   * are seeded with `storeKeyPair` when this is not given.
   */
  readonly seed?: (store: S, keyId: string, pair: PemPair) => void | Promise<void>;
  /** Groups to skip, each with the reason shown in the report. */
  readonly skip?: Partial<Record<ConformanceGroup, string>>;
}

/** What every group receives: the store (after `create`) and helpers. */
export interface ConformanceContext<S extends KeyStore = KeyStore> {
  readonly store: () => S;
  /** A fresh id, deleted after the suite. */
  readonly id: (label: string) => string;
  /** Puts a pair into the store by `seed` or `storeKeyPair`; skips the test (visibly) if neither can. */
  readonly put: (t: TestContext, keyId: string, pair: PemPair) => Promise<void>;
  /** Skips the test visibly unless the store declares the capability. */
  readonly requires: (t: TestContext, capability: 'write' | 'readPair' | 'list' | 'versions') => void;
}

export function runKeyStoreConformance<S extends KeyStore>(options: ConformanceOptions<S>): void {
  describe(`KeyStore conformance: ${options.name}`, () => {
    let store: S | undefined;
    const written = new Set<string>();
    beforeAll(async () => {
      store = await options.create();
    });
    afterAll(async () => {
      if (!store) return;
      if (store.capabilities.write) {
        for (const keyId of written) await store.deleteKeyPair(keyId, { destroy: true }).catch(() => {});
      }
      await options.cleanup?.(store);
    });
    const ctx: ConformanceContext<S> = {
      store: () => {
        if (!store) throw new Error('the store was not created: see the error of beforeAll');
        return store;
      },
      id: (label) => {
        const keyId = uniqueKeyId(label);
        written.add(keyId);
        return keyId;
      },
      put: async (t, keyId, pair) => {
        const s = ctx.store();
        if (options.seed) return void (await options.seed(s, keyId, pair));
        if (!s.capabilities.write) t.skip(`${s.type} is read-only and the suite was given no seed()`);
        await s.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
      },
      requires: (t, capability) => {
        const s = ctx.store();
        if (!s.capabilities[capability]) t.skip(`${s.type} declares ${capability}: false`);
      },
    };
    const groups: Record<ConformanceGroup, (c: ConformanceContext<S>) => void> = {
      reads: readTests,
      keyIds: keyIdTests,
      writes: writeTests,
      concurrency: concurrencyTests,
      versions: versionTests,
      rotation: rotationTests,
      errors: errorTests,
    };
    for (const [group, run] of Object.entries(groups) as [
      ConformanceGroup,
      (c: ConformanceContext<S>) => void,
    ][]) {
      const reason = options.skip?.[group];
      if (reason) describe.skip(`${group} (skipped: ${reason})`, () => it('skipped', () => {}));
      else describe(group, () => run(ctx));
    }
  });
}

async function expectCode(promise: Promise<unknown>, code: KeyStoreErrorCode): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a KeyStoreError ${code}`).toBeDefined();
  expect(isKeyStoreError(error), `expected a KeyStoreError, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  return error;
}

/** Round trips, large PEMs, pair reads and missing ids. */
export function readTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('returns exactly the PEMs that were stored (Ed25519)', async (t) => {
    const keyId = c.id('roundtrip');
    const pair = ed25519Pair();
    await c.put(t, keyId, pair);
    expect(await c.store().getPrivateKey(keyId)).toBe(pair.privateKey);
    expect(await c.store().getPublicKey(keyId)).toBe(pair.publicKey);
  });

  it('keeps large PEMs intact (RSA-4096, as older deployments stored)', async (t) => {
    const keyId = c.id('rsa4096');
    const pair = rsa4096Pair();
    await c.put(t, keyId, pair);
    expect(await c.store().getPrivateKey(keyId)).toBe(pair.privateKey);
    expect(await c.store().getPublicKey(keyId)).toBe(pair.publicKey);
  });

  it('reads both halves in one call (readPair)', async (t) => {
    c.requires(t, 'readPair');
    const keyId = c.id('pair');
    const pair = ed25519Pair();
    await c.put(t, keyId, pair);
    const read = await c.store().getKeyPair!(keyId);
    expect(read?.privateKey).toBe(pair.privateKey);
    expect(read?.publicKey).toBe(pair.publicKey);
  });

  it('answers null for an id that was never stored', async () => {
    const keyId = c.id('missing');
    expect(await c.store().getPrivateKey(keyId)).toBeNull();
    expect(await c.store().getPublicKey(keyId)).toBeNull();
    if (c.store().capabilities.readPair) expect(await c.store().getKeyPair!(keyId)).toBeNull();
  });

  it('accepts ids with dots, underscores, dashes and digits', async (t) => {
    const keyId = c.id('a.b_c-9');
    const pair = ed25519Pair();
    await c.put(t, keyId, pair);
    expect(await c.store().getPublicKey(keyId)).toBe(pair.publicKey);
  });
}

const BAD_IDS = [
  '',
  '.',
  '..',
  '../etc/passwd',
  'a/b',
  'a\\b',
  'with space',
  'tab\tid',
  'nl\nid',
  'nul\0id',
  '-leading',
  'x'.repeat(129),
  'ünïcode',
];

/** The shared key-id rule: every bad id is INVALID_KEY_ID on every operation. */
export function keyIdTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('rejects bad ids with INVALID_KEY_ID on reads', async () => {
    for (const bad of BAD_IDS) {
      await expectCode(c.store().getPrivateKey(bad), 'INVALID_KEY_ID');
      await expectCode(c.store().getPublicKey(bad), 'INVALID_KEY_ID');
    }
  });

  it('rejects bad ids with INVALID_KEY_ID on writes and deletes', async (t) => {
    c.requires(t, 'write');
    const pair = ed25519Pair();
    for (const bad of BAD_IDS) {
      await expectCode(c.store().storeKeyPair(bad, pair.privateKey, pair.publicKey), 'INVALID_KEY_ID');
      await expectCode(c.store().deleteKeyPair(bad), 'INVALID_KEY_ID');
    }
  });
}

/** Overwrite, delete and list. */
export function writeTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('overwrites a pair with storeKeyPair', async (t) => {
    c.requires(t, 'write');
    const keyId = c.id('overwrite');
    const first = ed25519Pair();
    const second = ed25519Pair();
    await c.store().storeKeyPair(keyId, first.privateKey, first.publicKey);
    await c.store().storeKeyPair(keyId, second.privateKey, second.publicKey);
    expect(await c.store().getPrivateKey(keyId)).toBe(second.privateKey);
    expect(await c.store().getPublicKey(keyId)).toBe(second.publicKey);
  });

  it('deletes a pair, and deleting a missing id is not an error', async (t) => {
    c.requires(t, 'write');
    const keyId = c.id('delete');
    const pair = ed25519Pair();
    await c.store().storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    await c.store().deleteKeyPair(keyId);
    expect(await c.store().getPrivateKey(keyId)).toBeNull();
    expect(await c.store().getPublicKey(keyId)).toBeNull();
    await c.store().deleteKeyPair(keyId);
    await c.store().deleteKeyPair(c.id('never-stored'));
  });

  it('can store an id again after deleting it', async (t) => {
    c.requires(t, 'write');
    const keyId = c.id('recreate');
    const first = ed25519Pair();
    const second = ed25519Pair();
    await c.store().storeKeyPair(keyId, first.privateKey, first.publicKey);
    await c.store().deleteKeyPair(keyId);
    await c.store().storeKeyPair(keyId, second.privateKey, second.publicKey);
    expect(await c.store().getPublicKey(keyId)).toBe(second.publicKey);
  });

  it('lists stored ids and not deleted ones', async (t) => {
    c.requires(t, 'write');
    c.requires(t, 'list');
    const kept = c.id('list-kept');
    const gone = c.id('list-gone');
    const pair = ed25519Pair();
    await c.store().storeKeyPair(kept, pair.privateKey, pair.publicKey);
    await c.store().storeKeyPair(gone, pair.privateKey, pair.publicKey);
    await c.store().deleteKeyPair(gone);
    const ids = await c.store().listKeyIds!();
    expect(ids).toContain(kept);
    expect(ids).not.toContain(gone);
  });
}

/** Concurrent stores of different ids must all survive (catches read-modify-write races). */
export function concurrencyTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('loses nothing when 20 different ids are stored at once', async (t) => {
    c.requires(t, 'write');
    const pairs = Array.from({ length: 20 }, (_, i) => ({ keyId: c.id(`conc${i}`), pair: ed25519Pair() }));
    await Promise.all(
      pairs.map(({ keyId, pair }) => c.store().storeKeyPair(keyId, pair.privateKey, pair.publicKey)),
    );
    for (const { keyId, pair } of pairs) {
      expect(await c.store().getPrivateKey(keyId), keyId).toBe(pair.privateKey);
      expect(await c.store().getPublicKey(keyId), keyId).toBe(pair.publicKey);
    }
  });
}

/** Versions and compare-and-set, for stores that declare `versions`. */
export function versionTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('lists versions newest first, the current one flagged', async (t) => {
    c.requires(t, 'versions');
    const keyId = c.id('versions');
    const first = ed25519Pair();
    const second = ed25519Pair();
    await c.store().storeKeyPair(keyId, first.privateKey, first.publicKey);
    await c.store().storeKeyPair(keyId, second.privateKey, second.publicKey);
    const versions = await c.store().getKeyVersions!(keyId);
    expect(versions.length).toBeGreaterThanOrEqual(2);
    expect(versions[0]!.current).toBe(true);
    expect(versions[0]!.publicKey).toBe(second.publicKey);
    expect(versions[1]!.current).toBe(false);
    expect(versions[1]!.publicKey).toBe(first.publicKey);
    expect(versions[1]!.privateKey).toBe(first.privateKey);
    expect(versions[0]!.version).not.toBe(versions[1]!.version);
    expect(versions[0]!.createdAt.getTime()).toBeGreaterThanOrEqual(versions[1]!.createdAt.getTime());
    if (c.store().capabilities.readPair)
      expect((await c.store().getKeyPair!(keyId))?.version).toBe(versions[0]!.version);
  });

  it('returns no versions for a missing id', async (t) => {
    c.requires(t, 'versions');
    expect(await c.store().getKeyVersions!(c.id('no-versions'))).toEqual([]);
  });

  it('expectedVersion null creates but never overwrites (CONFLICT)', async (t) => {
    c.requires(t, 'versions');
    const keyId = c.id('create-only');
    const first = ed25519Pair();
    const second = ed25519Pair();
    await c.store().storeKeyPair(keyId, first.privateKey, first.publicKey, { expectedVersion: null });
    await expectCode(
      c.store().storeKeyPair(keyId, second.privateKey, second.publicKey, { expectedVersion: null }),
      'CONFLICT',
    );
    expect(await c.store().getPrivateKey(keyId)).toBe(first.privateKey);
  });

  it('a stale expectedVersion is CONFLICT and writes nothing', async (t) => {
    c.requires(t, 'versions');
    const keyId = c.id('stale-cas');
    const pairs = [ed25519Pair(), ed25519Pair(), ed25519Pair()];
    await c.store().storeKeyPair(keyId, pairs[0]!.privateKey, pairs[0]!.publicKey);
    const [v1] = await c.store().getKeyVersions!(keyId);
    await c
      .store()
      .storeKeyPair(keyId, pairs[1]!.privateKey, pairs[1]!.publicKey, { expectedVersion: v1!.version });
    await expectCode(
      c
        .store()
        .storeKeyPair(keyId, pairs[2]!.privateKey, pairs[2]!.publicKey, { expectedVersion: v1!.version }),
      'CONFLICT',
    );
    expect(await c.store().getPublicKey(keyId)).toBe(pairs[1]!.publicKey);
  });

  it('of 5 concurrent compare-and-set writes exactly one wins', async (t) => {
    c.requires(t, 'versions');
    const keyId = c.id('cas-race');
    const base = ed25519Pair();
    await c.store().storeKeyPair(keyId, base.privateKey, base.publicKey);
    const [current] = await c.store().getKeyVersions!(keyId);
    const contenders = Array.from({ length: 5 }, () => ed25519Pair());
    const results = await Promise.allSettled(
      contenders.map((p) =>
        c.store().storeKeyPair(keyId, p.privateKey, p.publicKey, { expectedVersion: current!.version }),
      ),
    );
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('CONFLICT');
    const winner = contenders[results.findIndex((r) => r.status === 'fulfilled')]!;
    expect(await c.store().getPublicKey(keyId)).toBe(winner.publicKey);
  });
}

/** Rotation through KeyManager: the new key is current, the old one verifies during the grace period. */
export function rotationTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('rotates: new key current, previous key still verifies and is in the JWKS during the grace period', async (t) => {
    c.requires(t, 'write');
    c.requires(t, 'versions');
    const keyId = c.id('rotate');
    const km = new KeyManager({ store: c.store(), env: {}, rotationGracePeriodMs: 3_600_000 });
    const before = await km.generateKeyPair(keyId);
    const signedBefore = await km.sign(keyId, 'token');
    const rotated = await km.rotateKeyPair(keyId);
    expect(rotated.previousKid).toBe(before.kid);
    expect(rotated.kid).not.toBe(before.kid);
    expect((await km.refresh(keyId)).publicKey).toBe(rotated.keyPair.publicKey);
    expect(await c.store().getPublicKey(keyId)).toBe(rotated.keyPair.publicKey);
    expect(await km.verify(keyId, 'token', signedBefore)).toBe(true);
    expect(await km.verify(keyId, 'token', await km.sign(keyId, 'token'))).toBe(true);
    const kids = (await km.jwks([keyId])).keys.map((k) => k.kid);
    expect(kids).toEqual([rotated.kid, before.kid]);
    if (c.store().capabilities.list) {
      expect((await c.store().listKeyIds!()).filter((id) => id.startsWith(keyId))).toEqual([keyId]);
    }
  });

  it('retires the previous key once the grace period is over', async (t) => {
    c.requires(t, 'write');
    c.requires(t, 'versions');
    const keyId = c.id('retire');
    let now = Date.now();
    const km = new KeyManager({
      store: c.store(),
      env: {},
      rotationGracePeriodMs: 60_000,
      rotationDelayMs: 0,
      cache: { ttlMs: 0, staleIfErrorMs: 0 },
      now: () => now,
    });
    await km.generateKeyPair(keyId);
    const oldSignature = await km.sign(keyId, 'token');
    await km.rotateKeyPair(keyId);
    expect(await km.verify(keyId, 'token', oldSignature)).toBe(true);
    now += 10 * 60_000 + 600_000; // past the grace period and the cache TTL
    expect(await km.verify(keyId, 'token', oldSignature)).toBe(false);
    expect((await km.jwks([keyId])).keys).toHaveLength(1);
  });

  it('of concurrent rotations of one id exactly one wins, the others get CONFLICT', async (t) => {
    c.requires(t, 'write');
    c.requires(t, 'versions');
    const keyId = c.id('rotate-race');
    await new KeyManager({ store: c.store(), env: {} }).generateKeyPair(keyId);
    // Every contender must read the same current version before any of them writes; otherwise a slow read
    // sees the winner's new version and rotates on top of it, which is a later rotation, not a race.
    const contenders = 3;
    const readBarrier = barrier(contenders);
    const results = await Promise.allSettled(
      Array.from({ length: contenders }, () =>
        new KeyManager({ store: afterRead(c.store(), readBarrier), env: {} }).rotateKeyPair(keyId),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('CONFLICT');
  });

  it('generateKeyPair refuses to overwrite an existing id (CONFLICT)', async (t) => {
    c.requires(t, 'write');
    const keyId = c.id('no-overwrite');
    const km = new KeyManager({ store: c.store(), env: {} });
    const first = await km.generateKeyPair(keyId);
    await expectCode(km.generateKeyPair(keyId), 'CONFLICT');
    expect(await c.store().getPublicKey(keyId)).toBe(first.publicKey);
  });
}

/** Typed errors, read-only behaviour, and no key material in errors. */
export function errorTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('a read-only store refuses writes with UNSUPPORTED naming a writable store', async (t) => {
    if (c.store().capabilities.write) t.skip(`${c.store().type} is writable`);
    const pair = ed25519Pair();
    const error = await expectCode(
      c.store().storeKeyPair(c.id('ro'), pair.privateKey, pair.publicKey),
      'UNSUPPORTED',
    );
    expect(String((error as Error).message)).toMatch(/encrypted_file|vault|aws/);
    await expectCode(c.store().deleteKeyPair(c.id('ro-del')), 'UNSUPPORTED');
  });

  it('errors carry the store type and never the key material', async (t) => {
    c.requires(t, 'write');
    const pair = ed25519Pair();
    const body = pair.privateKey.split('\n')[1]!;
    const error = (await expectCode(
      c.store().storeKeyPair('../escape', pair.privateKey, pair.publicKey),
      'INVALID_KEY_ID',
    )) as Error & {
      storeType?: string;
    };
    expect(error.storeType).toBe(c.store().type);
    expect(error.message.startsWith('[phlow]')).toBe(true);
    expect(`${error.message}${error.stack}${JSON.stringify(error)}`).not.toContain(body);
  });
}

/** Resolves every waiter once `parties` have arrived. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return () => {
    arrived++;
    if (arrived === parties) open();
    return opened;
  };
}

/** The same store, but each current-pair read returns only after the barrier opens. */
function afterRead<S extends KeyStore>(store: S, wait: () => Promise<void>): KeyStore {
  const hold =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await fn(...args);
      await wait();
      return result;
    };
  const readsPair = store.capabilities.readPair && store.getKeyPair;
  return {
    type: store.type,
    capabilities: store.capabilities,
    getPrivateKey: readsPair ? store.getPrivateKey.bind(store) : hold(store.getPrivateKey.bind(store)),
    getPublicKey: store.getPublicKey.bind(store),
    storeKeyPair: store.storeKeyPair.bind(store),
    deleteKeyPair: store.deleteKeyPair.bind(store),
    ...(readsPair ? { getKeyPair: hold(store.getKeyPair!.bind(store)) } : {}),
    ...(store.getKeyVersions ? { getKeyVersions: store.getKeyVersions.bind(store) } : {}),
    ...(store.listKeyIds ? { listKeyIds: store.listKeyIds.bind(store) } : {}),
  };
}
