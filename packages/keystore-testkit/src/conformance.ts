/**
 * The KeyStore conformance suite. An adapter runs it in a few lines:
 *
 *   runKeyStoreConformance({ name: 'vault', create: () => createVaultKeyStore(), cleanup: (s) => s.close?.() });
 *
 * Each group is exported on its own too. Groups that need a capability the store does not declare are
 * reported as skipped with the reason (never silently); everything else always runs. Ids are unique per
 * run, so the suite can share a backend with other tests; ids it wrote are deleted (destroy) at the end.
 *
 * A store that signs inside its backend (capability `signer`) runs the `signer` group; the groups about
 * exportable key pairs report every test as skipped for it, with the reason.
 */

import { inspect } from 'node:util';
import { KeyManager, type KeyStore } from '@phlow/keys-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ConformanceContext,
  type ConformanceGroup,
  type ConformanceOptions,
  expectCode,
} from './context.js';
import { ed25519Pair, es256Pair, rsa4096Pair, uniqueKeyId } from './fixtures.js';
import { describeError, label, named } from './named-store.js';
import { signerTests } from './signer-conformance.js';
import { transportTests } from './transport-conformance.js';

export type { ConformanceContext, ConformanceGroup, ConformanceOptions } from './context.js';

const GROUPS: readonly ConformanceGroup[] = [
  'reads',
  'keyIds',
  'writes',
  'concurrency',
  'versions',
  'rotation',
  'errors',
  'signer',
  'transport',
];

/** Unknown `skip` keys are a typo that would silently run (or skip) the wrong tests: refuse them. */
function checkSkip(skip: ConformanceOptions['skip']): void {
  for (const [group, reason] of Object.entries(skip ?? {})) {
    if (!GROUPS.includes(group as ConformanceGroup)) {
      throw new TypeError(
        `runKeyStoreConformance: unknown skip group ${JSON.stringify(group)}; the groups are ${GROUPS.join(', ')}`,
      );
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new TypeError(
        `runKeyStoreConformance: skip.${group} needs a reason (a non-empty string), shown in the report`,
      );
    }
  }
}

export function runKeyStoreConformance<S extends KeyStore>(options: ConformanceOptions<S>): void {
  checkSkip(options.skip);
  describe(`KeyStore conformance: ${options.name}`, () => {
    let store: S | undefined;
    const written = new Set<string>();
    beforeAll(async () => {
      store = await options.create();
    });
    afterAll(async () => {
      if (!store) return;
      if (store.capabilities.write || store.capabilities.signer) {
        for (const keyId of written) await store.deleteKeyPair(keyId, { destroy: true }).catch(() => {});
      }
      await options.cleanup?.(store);
    });
    let view: S | undefined;
    const ctx: ConformanceContext<S> = {
      options,
      store: () => {
        if (!store) throw new Error('the store was not created: see the error of beforeAll');
        return store;
      },
      named: () => {
        const s = ctx.store();
        view ??= named(s);
        return view;
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
        await ctx.named().storeKeyPair(keyId, pair.privateKey, pair.publicKey);
      },
      requires: (t, capability) => {
        const s = ctx.store();
        if (s.capabilities[capability] !== true) t.skip(`${s.type} declares ${capability}: false`);
      },
    };
    const groups: Record<ConformanceGroup, (c: ConformanceContext<S>) => void> = {
      reads: readTests,
      keyIds: keyIdTests,
      writes: writeTests,
      concurrency: concurrencyTests,
      versions: (ctx) => {
        versionTests(ctx);
        activationTests(ctx);
      },
      rotation: rotationTests,
      errors: errorTests,
      signer: signerTests,
      transport: transportTests,
    };
    for (const [group, run] of Object.entries(groups) as [
      ConformanceGroup,
      (c: ConformanceContext<S>) => void,
    ][]) {
      const reason = options.skip?.[group];
      if (reason) describe.skip(`${group} (skipped: ${reason})`, () => it('skipped', () => {}));
      else
        describe(group, () => {
          if (group !== 'signer' && group !== 'transport') {
            beforeEach((t) => {
              const s = ctx.store();
              if (s.capabilities.signer === true) {
                t.skip(`${s.type} keeps its keys inside the backend (signer): see the signer group`);
              }
            });
          }
          run(ctx);
        });
    }
  });
}

/**
 * Fails if printing `value` (JSON.stringify, util.inspect, String) shows any line of `privateKeyPem`: what a
 * store returns ends up in logs, and its private half must print as `[redacted]` (see core's storedKeyPair).
 */
export function expectNoPrivateKeyPrinted(value: unknown, privateKeyPem: string, what: string): void {
  const printed = [JSON.stringify(value), inspect(value, { depth: 6 }), String(value)].join('\n');
  for (const line of privateKeyPem.split('\n')) {
    if (line.length > 16 && !line.startsWith('-----'))
      expect(printed.includes(line), `${what} prints the private key: wrap it in storedKeyPair()`).toBe(
        false,
      );
  }
}

/** Round trips, large PEMs, pair reads and missing ids. */
export function readTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('returns exactly the PEMs that were stored (Ed25519)', async (t) => {
    const keyId = c.id('roundtrip');
    const pair = ed25519Pair();
    await c.put(t, keyId, pair);
    expect(await c.named().getPrivateKey(keyId), label('getPrivateKey', keyId)).toBe(pair.privateKey);
    expect(await c.named().getPublicKey(keyId), label('getPublicKey', keyId)).toBe(pair.publicKey);
  });

  it('returns exactly the PEMs that were stored (ES256: P-256 PKCS#8 and SPKI)', async (t) => {
    const keyId = c.id('es256');
    const pair = es256Pair();
    await c.put(t, keyId, pair);
    expect(await c.named().getPrivateKey(keyId), label('getPrivateKey', keyId)).toBe(pair.privateKey);
    expect(await c.named().getPublicKey(keyId), label('getPublicKey', keyId)).toBe(pair.publicKey);
  });

  it('keeps large PEMs intact (RSA-4096, as older deployments stored)', async (t) => {
    const keyId = c.id('rsa4096');
    const pair = rsa4096Pair();
    await c.put(t, keyId, pair);
    expect(await c.named().getPrivateKey(keyId), label('getPrivateKey', keyId)).toBe(pair.privateKey);
    expect(await c.named().getPublicKey(keyId), label('getPublicKey', keyId)).toBe(pair.publicKey);
  }, 120_000); // generating the RSA-4096 pair takes seconds on a loaded machine

  it('reads both halves in one call (readPair)', async (t) => {
    c.requires(t, 'readPair');
    const keyId = c.id('pair');
    const pair = ed25519Pair();
    await c.put(t, keyId, pair);
    const read = await c.named().getKeyPair!(keyId);
    expect(read?.privateKey, `${label('getKeyPair', keyId)}.privateKey`).toBe(pair.privateKey);
    expect(read?.publicKey, `${label('getKeyPair', keyId)}.publicKey`).toBe(pair.publicKey);
    expectNoPrivateKeyPrinted(read, pair.privateKey, label('getKeyPair', keyId));
  });

  it('answers null for an id that was never stored', async () => {
    const keyId = c.id('missing');
    const s = c.named();
    expect(await s.getPrivateKey(keyId), label('getPrivateKey', keyId)).toBeNull();
    expect(await s.getPublicKey(keyId), label('getPublicKey', keyId)).toBeNull();
    if (s.capabilities.readPair) expect(await s.getKeyPair!(keyId), label('getKeyPair', keyId)).toBeNull();
  });

  it('accepts ids with dots, underscores, dashes and digits', async (t) => {
    const keyId = c.id('a.b_c-9');
    const pair = ed25519Pair();
    await c.put(t, keyId, pair);
    expect(await c.named().getPublicKey(keyId), label('getPublicKey', keyId)).toBe(pair.publicKey);
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

/** The shared key-id rule: every bad id is INVALID_KEY_ID on every operation (`assertValidKeyId`). */
export function keyIdTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('rejects bad ids with INVALID_KEY_ID on reads', async () => {
    const s = c.store();
    for (const bad of BAD_IDS) {
      await expectCode(label('getPrivateKey', bad), s.getPrivateKey(bad), 'INVALID_KEY_ID');
      await expectCode(label('getPublicKey', bad), s.getPublicKey(bad), 'INVALID_KEY_ID');
      if (s.capabilities.readPair && s.getKeyPair)
        await expectCode(label('getKeyPair', bad), s.getKeyPair(bad), 'INVALID_KEY_ID');
      if (s.capabilities.versions && s.getKeyVersions)
        await expectCode(label('getKeyVersions', bad), s.getKeyVersions(bad), 'INVALID_KEY_ID');
    }
  });

  it('rejects bad ids with INVALID_KEY_ID on writes and deletes', async (t) => {
    c.requires(t, 'write');
    const pair = ed25519Pair();
    const s = c.store();
    for (const bad of BAD_IDS) {
      await expectCode(
        label('storeKeyPair', bad, pair.privateKey, pair.publicKey),
        s.storeKeyPair(bad, pair.privateKey, pair.publicKey),
        'INVALID_KEY_ID',
      );
      await expectCode(label('deleteKeyPair', bad), s.deleteKeyPair(bad), 'INVALID_KEY_ID');
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
    const s = c.named();
    await s.storeKeyPair(keyId, first.privateKey, first.publicKey);
    await s.storeKeyPair(keyId, second.privateKey, second.publicKey);
    const after = `after two ${label('storeKeyPair', keyId)}`;
    expect(await s.getPrivateKey(keyId), `${label('getPrivateKey', keyId)} ${after}`).toBe(second.privateKey);
    expect(await s.getPublicKey(keyId), `${label('getPublicKey', keyId)} ${after}`).toBe(second.publicKey);
  });

  it('deletes a pair, and deleting a missing id is not an error', async (t) => {
    c.requires(t, 'write');
    const keyId = c.id('delete');
    const pair = ed25519Pair();
    const s = c.named();
    await s.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    await s.deleteKeyPair(keyId);
    const after = `after ${label('deleteKeyPair', keyId)}`;
    expect(await s.getPrivateKey(keyId), `${label('getPrivateKey', keyId)} ${after}`).toBeNull();
    expect(await s.getPublicKey(keyId), `${label('getPublicKey', keyId)} ${after}`).toBeNull();
    await s.deleteKeyPair(keyId);
    await s.deleteKeyPair(c.id('never-stored'));
  });

  it('can store an id again after deleting it', async (t) => {
    c.requires(t, 'write');
    const keyId = c.id('recreate');
    const first = ed25519Pair();
    const second = ed25519Pair();
    const s = c.named();
    await s.storeKeyPair(keyId, first.privateKey, first.publicKey);
    await s.deleteKeyPair(keyId);
    await s.storeKeyPair(keyId, second.privateKey, second.publicKey);
    expect(await s.getPublicKey(keyId), `${label('getPublicKey', keyId)} after delete and store`).toBe(
      second.publicKey,
    );
  });

  it('lists stored ids, sorted, and not deleted ones', async (t) => {
    c.requires(t, 'write');
    c.requires(t, 'list');
    const kept = c.id('list-kept');
    const gone = c.id('list-gone');
    const pair = ed25519Pair();
    const s = c.named();
    await s.storeKeyPair(kept, pair.privateKey, pair.publicKey);
    await s.storeKeyPair(gone, pair.privateKey, pair.publicKey);
    await s.deleteKeyPair(gone);
    const ids = await s.listKeyIds!();
    expect(ids, `listKeyIds() after ${label('storeKeyPair', kept)}`).toContain(kept);
    expect(ids, `listKeyIds() after ${label('deleteKeyPair', gone)}`).not.toContain(gone);
    expect(ids, 'listKeyIds() must return the ids sorted').toEqual([...ids].sort());
  });
}

/** Concurrent stores of different ids must all survive (catches read-modify-write races). */
export function concurrencyTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('loses nothing when 20 different ids are stored at once', async (t) => {
    c.requires(t, 'write');
    const pairs = Array.from({ length: 20 }, (_, i) => ({ keyId: c.id(`conc${i}`), pair: ed25519Pair() }));
    const s = c.named();
    await Promise.all(pairs.map(({ keyId, pair }) => s.storeKeyPair(keyId, pair.privateKey, pair.publicKey)));
    const lost = `lost by 20 concurrent storeKeyPair calls`;
    for (const { keyId, pair } of pairs) {
      expect(await s.getPrivateKey(keyId), `${label('getPrivateKey', keyId)} ${lost}`).toBe(pair.privateKey);
      expect(await s.getPublicKey(keyId), `${label('getPublicKey', keyId)} ${lost}`).toBe(pair.publicKey);
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
    const s = c.named();
    await s.storeKeyPair(keyId, first.privateKey, first.publicKey);
    await s.storeKeyPair(keyId, second.privateKey, second.publicKey);
    const versions = await s.getKeyVersions!(keyId);
    const at = (i: number, field: string) => `${label('getKeyVersions', keyId)}[${i}].${field}`;
    expect(
      versions.length,
      `${label('getKeyVersions', keyId)}.length after two stores`,
    ).toBeGreaterThanOrEqual(2);
    expect(versions[0]!.current, at(0, 'current')).toBe(true);
    expect(versions[0]!.publicKey, `${at(0, 'publicKey')} (newest first)`).toBe(second.publicKey);
    expect(versions[1]!.current, at(1, 'current')).toBe(false);
    expect(versions[1]!.publicKey, at(1, 'publicKey')).toBe(first.publicKey);
    expect(versions[1]!.privateKey, at(1, 'privateKey')).toBe(first.privateKey);
    expect(typeof versions[0]!.version, at(0, 'version')).toBe('string');
    expect(versions[0]!.version, `${at(0, 'version')} must differ from ${at(1, 'version')}`).not.toBe(
      versions[1]!.version,
    );
    expect(versions[0]!.createdAt, at(0, 'createdAt')).toBeInstanceOf(Date);
    expect(versions[0]!.createdAt.getTime(), `${at(0, 'createdAt')} (newest first)`).toBeGreaterThanOrEqual(
      versions[1]!.createdAt.getTime(),
    );
    expectNoPrivateKeyPrinted(versions, first.privateKey, label('getKeyVersions', keyId));
    expectNoPrivateKeyPrinted(versions, second.privateKey, label('getKeyVersions', keyId));
    if (s.capabilities.readPair)
      expect((await s.getKeyPair!(keyId))?.version, `${label('getKeyPair', keyId)}.version`).toBe(
        versions[0]!.version,
      );
  });

  it('returns no versions for a missing id', async (t) => {
    c.requires(t, 'versions');
    const keyId = c.id('no-versions');
    expect(await c.named().getKeyVersions!(keyId), label('getKeyVersions', keyId)).toEqual([]);
  });

  it('expectedVersion null creates but never overwrites (CONFLICT)', async (t) => {
    c.requires(t, 'versions');
    const keyId = c.id('create-only');
    const first = ed25519Pair();
    const second = ed25519Pair();
    const cas = { expectedVersion: null };
    await c.named().storeKeyPair(keyId, first.privateKey, first.publicKey, cas);
    await expectCode(
      `${label('storeKeyPair', keyId, second.privateKey, second.publicKey, cas)} of an existing id`,
      c.store().storeKeyPair(keyId, second.privateKey, second.publicKey, cas),
      'CONFLICT',
    );
    expect(await c.named().getPrivateKey(keyId), `${label('getPrivateKey', keyId)} after a CONFLICT`).toBe(
      first.privateKey,
    );
  });

  it('a stale expectedVersion is CONFLICT and writes nothing', async (t) => {
    c.requires(t, 'versions');
    const keyId = c.id('stale-cas');
    const pairs = [ed25519Pair(), ed25519Pair(), ed25519Pair()];
    const s = c.named();
    await s.storeKeyPair(keyId, pairs[0]!.privateKey, pairs[0]!.publicKey);
    const [v1] = await s.getKeyVersions!(keyId);
    const cas = { expectedVersion: v1!.version };
    await s.storeKeyPair(keyId, pairs[1]!.privateKey, pairs[1]!.publicKey, cas);
    await expectCode(
      `${label('storeKeyPair', keyId, pairs[2]!.privateKey, pairs[2]!.publicKey, cas)} with a stale version`,
      c.store().storeKeyPair(keyId, pairs[2]!.privateKey, pairs[2]!.publicKey, cas),
      'CONFLICT',
    );
    expect(await s.getPublicKey(keyId), `${label('getPublicKey', keyId)} after a CONFLICT`).toBe(
      pairs[1]!.publicKey,
    );
  });

  it('of 5 concurrent compare-and-set writes exactly one wins', async (t) => {
    c.requires(t, 'versions');
    const keyId = c.id('cas-race');
    const base = ed25519Pair();
    const s = c.named();
    await s.storeKeyPair(keyId, base.privateKey, base.publicKey);
    const [current] = await s.getKeyVersions!(keyId);
    const cas = { expectedVersion: current!.version };
    const what = `5 concurrent ${label('storeKeyPair', keyId, '-----BEGIN', '-----BEGIN', cas)}`;
    const contenders = Array.from({ length: 5 }, () => ed25519Pair());
    const results = await Promise.allSettled(
      contenders.map((p) => c.store().storeKeyPair(keyId, p.privateKey, p.publicKey, cas)),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length, `winners of ${what}`).toBe(1);
    for (const r of results)
      if (r.status === 'rejected')
        expect((r.reason as { code?: string }).code, `${what}: ${describeError(r.reason)}`).toBe('CONFLICT');
    const winner = contenders[results.findIndex((r) => r.status === 'fulfilled')]!;
    expect(await s.getPublicKey(keyId), `${label('getPublicKey', keyId)} after ${what}`).toBe(
      winner.publicKey,
    );
  });
}

/**
 * Activation times, for stores that declare `activation` (contract 1.2): the `activatesAt` given to
 * `storeKeyPair` comes back with that version, to the millisecond, from `getKeyVersions` and `getKeyPair`;
 * a version stored without one reads without one.
 */
export function activationTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('keeps activatesAt with each version, to the millisecond; a version stored without one has none', async (t) => {
    c.requires(t, 'activation');
    c.requires(t, 'versions');
    const keyId = c.id('activation');
    const s = c.named();
    // In the future and with a sub-second part: a store that rounds (a second-precision timestamp) fails.
    const first = new Date(Date.now() + 60_000 + 123);
    const second = new Date(first.getTime() + 300_000 + 456);
    const [p1, p2, p3] = [ed25519Pair(), ed25519Pair(), ed25519Pair()];
    await s.storeKeyPair(keyId, p1.privateKey, p1.publicKey, { expectedVersion: null, activatesAt: first });
    const [v1] = await s.getKeyVersions!(keyId);
    await s.storeKeyPair(keyId, p2.privateKey, p2.publicKey, {
      expectedVersion: v1!.version,
      activatesAt: second,
    });
    const versions = await s.getKeyVersions!(keyId);
    const at = (i: number) => `${label('getKeyVersions', keyId)}[${i}].activatesAt`;
    expect(versions[0]!.activatesAt?.toISOString(), at(0)).toBe(second.toISOString());
    expect(versions[1]!.activatesAt?.toISOString(), at(1)).toBe(first.toISOString());
    if (s.capabilities.readPair)
      expect(
        (await s.getKeyPair!(keyId))?.activatesAt?.toISOString(),
        `${label('getKeyPair', keyId)}.activatesAt`,
      ).toBe(second.toISOString());
    await s.storeKeyPair(keyId, p3.privateKey, p3.publicKey);
    const [latest] = await s.getKeyVersions!(keyId);
    expect(latest!.activatesAt, `${at(0)} of a version stored without one`).toBeUndefined();
  });
}

/** Rotation through KeyManager: the new key is current, the old one verifies during the grace period. */
export function rotationTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('rotates: new key current, previous key still verifies and is in the JWKS during the grace period', async (t) => {
    c.requires(t, 'write');
    c.requires(t, 'versions');
    const keyId = c.id('rotate');
    // A staged rotation: the new key is the store's current one at once, and signs after the delay.
    const km = new KeyManager({
      store: c.store(),
      env: {},
      rotationGracePeriodMs: 3_600_000,
      rotationDelayMs: 600_000,
    });
    const before = await km.generateKeyPair(keyId);
    const signedBefore = await km.sign(keyId, 'token');
    const rotated = await km.rotateKeyPair(keyId);
    const on = `KeyManager.rotateKeyPair(${JSON.stringify(keyId)})`;
    expect(rotated.previousKid, `${on}.previousKid`).toBe(before.kid);
    expect(rotated.kid, `${on}.kid`).not.toBe(before.kid);
    expect(
      (await km.getNewestKeyPair(keyId, { forceFetch: true })).publicKey,
      `getNewestKeyPair after ${on}`,
    ).toBe(rotated.keyPair.publicKey);
    // getKeyPair and refresh return the key sign uses now: the previous one, until the delay is over.
    expect((await km.refresh(keyId)).publicKey, `refresh after ${on}, during the delay`).toBe(
      before.publicKey,
    );
    expect(await c.named().getPublicKey(keyId), `${label('getPublicKey', keyId)} after ${on}`).toBe(
      rotated.keyPair.publicKey,
    );
    expect(await km.verify(keyId, 'token', signedBefore), `old key verifies after ${on}`).toBe(true);
    expect(await km.verify(keyId, 'token', await km.sign(keyId, 'token')), `new key verifies`).toBe(true);
    const kids = (await km.jwks([keyId])).keys.map((k) => k.kid);
    expect(kids, `jwks after ${on} (from getKeyVersions)`).toEqual([rotated.kid, before.kid]);
    if (c.store().capabilities.list) {
      const ids = (await c.named().listKeyIds!()).filter((id) => id.startsWith(keyId));
      expect(ids, `listKeyIds() after ${on}: no extra entries`).toEqual([keyId]);
    }
  });

  it("keeps the algorithm of the key it replaces: an RSA key (the Python Phlow's RS256) stays RSA, ES256 stays ES256", async (t) => {
    c.requires(t, 'write');
    c.requires(t, 'versions');
    const km = new KeyManager({
      store: c.store(),
      env: {},
      rotationGracePeriodMs: 3_600_000,
      rotationDelayMs: 0,
    });
    for (const algorithm of ['RS256', 'ES256'] as const) {
      const keyId = c.id(`rotate-${algorithm.toLowerCase()}`);
      const before = await km.generateKeyPair(keyId, { algorithm });
      const rotated = await km.rotateKeyPair(keyId);
      const on = `KeyManager.rotateKeyPair(${JSON.stringify(keyId)}) of a ${algorithm} key`;
      expect(rotated.kid, `${on}.kid`).not.toBe(before.kid);
      const signed = await km.signDetailed(keyId, 'token');
      expect(signed.kid, `the key that signs after ${on} (delay 0)`).toBe(rotated.kid);
      expect(signed.alg, `alg after ${on}`).toBe(algorithm);
      expect(await km.verify(keyId, 'token', signed.signature), `a signature after ${on} verifies`).toBe(
        true,
      );
      expect(
        (await km.jwks([keyId])).keys.map((k) => k.alg),
        `jwks algs after ${on}`,
      ).toEqual([algorithm, algorithm]);
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
    const id = JSON.stringify(keyId);
    expect(await km.verify(keyId, 'token', oldSignature), `verify(${id}) in the grace period`).toBe(true);
    now += 10 * 60_000 + 600_000; // past the grace period and the cache TTL
    expect(await km.verify(keyId, 'token', oldSignature), `verify(${id}) after the grace period`).toBe(false);
    expect((await km.jwks([keyId])).keys, `jwks([${id}]) after the grace period`).toHaveLength(1);
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
    const what = `3 concurrent rotateKeyPair(${JSON.stringify(keyId)}) (storeKeyPair with expectedVersion)`;
    expect(results.filter((r) => r.status === 'fulfilled').length, `winners of ${what}`).toBe(1);
    for (const r of results)
      if (r.status === 'rejected')
        expect((r.reason as { code?: string }).code, `${what}: ${describeError(r.reason)}`).toBe('CONFLICT');
  });

  it('generateKeyPair refuses to overwrite an existing id (CONFLICT)', async (t) => {
    c.requires(t, 'write');
    const keyId = c.id('no-overwrite');
    const km = new KeyManager({ store: c.store(), env: {} });
    const first = await km.generateKeyPair(keyId);
    await expectCode(
      `KeyManager.generateKeyPair(${JSON.stringify(keyId)}) of an existing id`,
      km.generateKeyPair(keyId),
      'CONFLICT',
    );
    expect(await c.named().getPublicKey(keyId), label('getPublicKey', keyId)).toBe(first.publicKey);
  });
}

/** Typed errors, read-only behaviour, and no key material in errors. */
export function errorTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('a read-only store refuses writes with UNSUPPORTED naming a writable store', async (t) => {
    if (c.store().capabilities.write) t.skip(`${c.store().type} is writable`);
    const pair = ed25519Pair();
    const keyId = c.id('ro');
    const what = `${label('storeKeyPair', keyId, pair.privateKey, pair.publicKey)} on a read-only store`;
    const error = await expectCode(
      what,
      c.store().storeKeyPair(keyId, pair.privateKey, pair.publicKey),
      'UNSUPPORTED',
    );
    expect(String((error as Error).message), `the message of ${what} names a writable store`).toMatch(
      /encrypted_file|vault|aws/,
    );
    const other = c.id('ro-del');
    await expectCode(
      `${label('deleteKeyPair', other)} on a read-only store`,
      c.store().deleteKeyPair(other),
      'UNSUPPORTED',
    );
  });

  it('errors carry the store type and never the key material', async (t) => {
    c.requires(t, 'write');
    const pair = ed25519Pair();
    const body = pair.privateKey.split('\n')[1]!;
    const what = label('storeKeyPair', '../escape', pair.privateKey, pair.publicKey);
    const error = (await expectCode(
      what,
      c.store().storeKeyPair('../escape', pair.privateKey, pair.publicKey),
      'INVALID_KEY_ID',
    )) as Error & {
      storeType?: string;
    };
    expect(error.storeType, `${what}: error.storeType`).toBe(c.store().type);
    expect(error.message.startsWith('[phlow]'), `${what}: message starts with [phlow]`).toBe(true);
    expect(
      `${error.message}${error.stack}${JSON.stringify(error)}`,
      `${what}: no key material in the error`,
    ).not.toContain(body);
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
