import { generateKeyPairSync, verify as verifySignature } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  createMemoryKeyStore,
  isKeyStoreError,
  KeyManager,
  type KeyManagerEvent,
  type KeyStore,
  KeyStoreError,
  newEd25519Pems,
} from '../src/index.js';

/**
 * A memory store that counts key reads (a pair, or an id's version list: KeyManager's one cache entry per id)
 * and can be switched off, to observe the cache from outside.
 */
function observed(store: KeyStore = createMemoryKeyStore()) {
  const state = { reads: 0, down: false };
  const wrap =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (state.down) throw new KeyStoreError('UNAVAILABLE', 'backend down', { storeType: 'memory' });
      return fn(...args);
    };
  const counted: KeyStore = {
    ...store,
    getPrivateKey: wrap(store.getPrivateKey.bind(store)),
    getPublicKey: wrap(store.getPublicKey.bind(store)),
    storeKeyPair: wrap(store.storeKeyPair.bind(store)),
    deleteKeyPair: wrap(store.deleteKeyPair.bind(store)),
    getKeyPair: wrap(async (id: string) => {
      state.reads++;
      return store.getKeyPair!(id);
    }),
    getKeyVersions: wrap(async (id: string) => {
      state.reads++;
      return store.getKeyVersions!(id);
    }),
    listKeyIds: wrap(store.listKeyIds!.bind(store)),
  };
  return { store: counted, state };
}

describe('KeyManager: generate, store, get, delete', () => {
  it('generates Ed25519 PKCS#8 / SPKI PEMs and refuses to overwrite unless asked', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    const pair = await km.generateKeyPair('agent');
    expect(pair.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pair.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    await expect(km.generateKeyPair('agent')).rejects.toMatchObject({ code: 'CONFLICT' });
    const replaced = await km.generateKeyPair('agent', { overwrite: true });
    expect((await km.getKeyPair('agent')).publicKey).toBe(replaced.publicKey);
  });

  it('stores only pairs whose halves parse and belong together', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    const a = newEd25519Pems();
    const b = newEd25519Pems();
    await expect(km.storeKeyPair('x', a.privateKey, b.publicKey)).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    await expect(km.storeKeyPair('x', 'not a pem', a.publicKey)).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    await expect(km.storeKeyPair('x', a.privateKey, 'nope')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(km.storeKeyPair('x', a.publicKey, a.publicKey)).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    await km.storeKeyPair('x', a.privateKey, a.publicKey);
    expect((await km.getKeyPair('x')).privateKey).toBe(a.privateKey);
  });

  it('stores and reads RSA pairs written by older deployments, and signs and verifies RS256 with them', async () => {
    const rsa = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    await km.storeKeyPair('legacy', rsa.privateKey, rsa.publicKey);
    expect((await km.getKeyPair('legacy')).publicKey).toBe(rsa.publicKey);
    expect((await km.jwks(['legacy'])).keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    const signature = await km.sign('legacy', 'x');
    // RSASSA-PKCS1-v1_5 with SHA-256, as PyJWT's RS256 and node:crypto check it.
    expect(verifySignature('sha256', Buffer.from('x'), rsa.publicKey, signature)).toBe(true);
    expect(await km.verify('legacy', 'x', signature)).toBe(true);
    expect(await km.verify('legacy', 'y', signature)).toBe(false);
    const ec = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    await km.storeKeyPair('ec', ec.privateKey, ec.publicKey);
    // P-256 signs ES256 since the one algorithm table (issue 18); signDetailed names the algorithm.
    const es = await km.signDetailed('ec', 'x');
    expect(es.alg).toBe('ES256');
    expect(await km.verify('ec', 'x', es.signature)).toBe(true);
  });

  it('NOT_FOUND for a missing id, INVALID_KEY_ID before the store is touched', async () => {
    const { store, state } = observed();
    const km = new KeyManager({ store, env: {} });
    await expect(km.getKeyPair('nobody')).rejects.toMatchObject({ code: 'NOT_FOUND', keyId: 'nobody' });
    const reads = state.reads;
    for (const bad of ['', '../x', 'a/b', 'a b', 'a\u0000b']) {
      await expect(km.getKeyPair(bad)).rejects.toMatchObject({ code: 'INVALID_KEY_ID' });
      await expect(km.generateKeyPair(bad)).rejects.toMatchObject({ code: 'INVALID_KEY_ID' });
    }
    expect(state.reads).toBe(reads);
  });

  it('delete removes the key and the cached copy', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    await km.generateKeyPair('gone');
    await km.getKeyPair('gone');
    await km.deleteKeyPair('gone');
    await expect(km.getKeyPair('gone')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await km.deleteKeyPair('gone');
  });
});

describe('KeyManager: cache', () => {
  it('reads the store once while the entry is fresh; counts hits and loads', async () => {
    const { store, state } = observed();
    const km = new KeyManager({ store, env: {} });
    await km.generateKeyPair('a');
    // generateKeyPair reads the pair back once (for its version), which fills the cache: every get is a hit.
    for (let i = 0; i < 5; i++) await km.getKeyPair('a');
    expect(state.reads).toBe(1);
    expect(km.stats).toMatchObject({ loads: 1, hits: 5, misses: 1, size: 1 });
  });

  it('10,000 concurrent gets of one cold id cause one store read', async () => {
    const { store, state } = observed();
    const km = new KeyManager({ store, env: {} });
    await km.generateKeyPair('cold');
    const pairs = await Promise.all(Array.from({ length: 10_000 }, () => km.getKeyPair('cold')));
    expect(state.reads).toBe(1);
    expect(new Set(pairs.map((p) => p.publicKey)).size).toBe(1);
  });

  it("this manager's writes invalidate its cache; refresh() rereads on demand", async () => {
    const { store, state } = observed();
    const km = new KeyManager({ store, env: {} });
    await km.generateKeyPair('a');
    await km.getKeyPair('a');
    const rotated = await km.rotateKeyPair('a');
    expect((await km.getNewestKeyPair('a')).publicKey).toBe(rotated.keyPair.publicKey);
    const other = new KeyManager({ store, env: {} });
    await other.rotateKeyPair('a');
    const before = state.reads;
    await km.getNewestKeyPair('a'); // still cached: other manager's write is not visible until TTL or refresh
    expect(state.reads).toBe(before);
    const refreshed = await km.refresh('a');
    expect(state.reads).toBe(before + 1);
    // The reread list holds the other manager's key as the newest; refresh returns the key that signs now.
    expect((await km.getNewestKeyPair('a')).publicKey).toBe((await store.getKeyPair!('a'))!.publicKey);
    expect(refreshed.kid).toBe((await km.getKeyPair('a')).kid);
    expect(refreshed.kid).not.toBe(rotated.kid);
  });

  it('takes TTL, size and stale window from the environment, and rejects bad values naming the variable', () => {
    const store = createMemoryKeyStore();
    expect(() => new KeyManager({ store, env: { PHLOW_KEY_CACHE_TTL_SECONDS: 'soon' } })).toThrow(
      /PHLOW_KEY_CACHE_TTL_SECONDS/,
    );
    expect(() => new KeyManager({ store, env: { PHLOW_KEY_CACHE_MAX_ENTRIES: '0' } })).toThrow(
      /PHLOW_KEY_CACHE_MAX_ENTRIES/,
    );
    expect(() => new KeyManager({ store, env: { PHLOW_KEY_ROTATION_GRACE_SECONDS: '-1' } })).toThrow(
      /PHLOW_KEY_ROTATION_GRACE_SECONDS/,
    );
    expect(
      new KeyManager({ store, env: { PHLOW_KEY_ROTATION_GRACE_SECONDS: '3600' } }).rotationGracePeriodMs,
    ).toBe(3_600_000);
  });

  it('serves stale keys for a bounded time when the store fails, reporting each through onEvent', async () => {
    const { store, state } = observed();
    let now = 1_000_000;
    const events: KeyManagerEvent[] = [];
    const km = new KeyManager({
      store,
      env: {},
      now: () => now,
      cache: { ttlMs: 1000, staleIfErrorMs: 10_000 },
      onEvent: (e) => e.type !== 'audit' && events.push(e),
    });
    const pair = await km.generateKeyPair('a');
    await km.getKeyPair('a');
    state.down = true;
    now += 5000;
    expect((await km.getKeyPair('a')).publicKey).toBe(pair.publicKey);
    expect(events.at(-1)).toMatchObject({ type: 'stale', keyId: 'a' });
    expect(isKeyStoreError((events.at(-1) as { error: unknown }).error, 'UNAVAILABLE')).toBe(true);
    now += 10_000;
    await expect(km.getKeyPair('a')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(events.at(-1)).toMatchObject({ type: 'error', keyId: 'a' });
    state.down = false;
    expect((await km.getKeyPair('a')).publicKey).toBe(pair.publicKey);
    expect(km.stats.stale).toBe(1);
  });
});

describe('KeyManager: rotation, JWKS, sign/verify', () => {
  it('rotation keeps one record: no <id>_new entries, current key under the original id', async () => {
    const store = createMemoryKeyStore();
    const km = new KeyManager({ store, env: {} });
    await km.generateKeyPair('agent');
    const r = await km.rotateKeyPair('agent');
    expect(await store.listKeyIds!()).toEqual(['agent']);
    expect(await store.getPublicKey('agent')).toBe(r.keyPair.publicKey);
    expect(r.previousRetiresAt.getTime()).toBeGreaterThan(Date.now() + 86_000_000);
  });

  it('rotating a missing id is NOT_FOUND; a store without versions needs grace 0', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    await expect(km.rotateKeyPair('none')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const flat = createMemoryKeyStore();
    const noVersions: KeyStore = { ...flat, capabilities: { ...flat.capabilities, versions: false } };
    const strict = new KeyManager({ store: noVersions, env: {} });
    await strict.generateKeyPair('a');
    await expect(strict.rotateKeyPair('a')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const lax = new KeyManager({ store: noVersions, env: {}, rotationGracePeriodMs: 0 });
    const r = await lax.rotateKeyPair('a');
    expect(await noVersions.getPublicKey('a')).toBe(r.keyPair.publicKey);
  });

  it('JWKS: kid is the RFC 7638 thumbprint; both keys during the grace period', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    const first = await km.generateKeyPair('a');
    await km.generateKeyPair('b');
    const jwk = first.jwk;
    // RFC 7638 for OKP: SHA-256 over {"crv","kty","x"} in that order.
    const { createHash } = await import('node:crypto');
    const expected = createHash('sha256')
      .update(`{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`)
      .digest('base64url');
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: expected });
    await km.rotateKeyPair('a');
    const set = await km.jwks();
    expect(set.keys).toHaveLength(3);
    expect(JSON.stringify(set)).not.toMatch(/"d"/);
  });

  it('verify rejects a signature by another key and a tampered message', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    await km.generateKeyPair('a');
    await km.generateKeyPair('b');
    const sig = await km.sign('a', 'msg');
    expect(await km.verify('a', 'msg', sig)).toBe(true);
    expect(await km.verify('b', 'msg', sig)).toBe(false);
    expect(await km.verify('a', 'msg!', sig)).toBe(false);
    expect(await km.verify('a', 'msg', sig.slice(1))).toBe(false);
  });
});

describe('no key material in output', () => {
  it('a KeyPair redacts its private half in JSON, inspect, String and template strings', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    const pair = await km.generateKeyPair('agent');
    const body = pair.privateKey.split('\n')[1]!;
    for (const text of [
      JSON.stringify(pair),
      inspect(pair),
      inspect({ nested: [pair] }, { depth: 9 }),
      String(pair),
      `${pair}`,
    ]) {
      expect(text).not.toContain(body);
      expect(text).toContain('[redacted]');
    }
    expect(Object.keys(pair)).not.toContain('privateKey');
    expect(pair.privateKey).toContain(body);
  });

  it('errors from a mismatched pair never contain either key', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    const a = newEd25519Pems();
    const b = newEd25519Pems();
    const error = (await km
      .storeKeyPair('x', a.privateKey, b.publicKey)
      .catch((e: unknown) => e)) as KeyStoreError;
    const text = `${error.message}${error.stack}${JSON.stringify(error)}${inspect(error)}`;
    expect(text).not.toContain(a.privateKey.split('\n')[1]!);
    expect(text).not.toContain(b.publicKey.split('\n')[1]!);
    expect(error.message).toMatch(/^\[phlow\] /);
  });
});

describe('review fixes', () => {
  it('a key id that is really a PEM is rejected without echoing any of it', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    const pem = newEd25519Pems().privateKey;
    const error = (await km.getKeyPair(pem).catch((e: unknown) => e)) as KeyStoreError;
    expect(error.code).toBe('INVALID_KEY_ID');
    expect(error.message).not.toContain('BEGIN');
    expect(error.message).not.toContain(pem.split('\n')[1]!.slice(0, 12));
    expect(error.message).toMatch(/a space at position 11 of \d+/);
  });

  it('an id whose current version was deleted stops verifying, even if older versions are readable', async () => {
    const inner = createMemoryKeyStore();
    const km = new KeyManager({ store: inner, env: {} });
    await km.generateKeyPair('a');
    const oldSignature = await km.sign('a', 'token');
    await km.rotateKeyPair('a');
    // What Vault does after `vault kv delete`: the newest version is gone, older ones are still listed.
    const deletedCurrent: KeyStore = {
      ...inner,
      getKeyVersions: async (id) =>
        (await inner.getKeyVersions!(id)).slice(1).map((v) => ({ ...v, current: false })),
    };
    const verifier = new KeyManager({ store: deletedCurrent, env: {} });
    await expect(verifier.verify('a', 'token', oldSignature)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(verifier.jwks(['a'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('serves stale keys through outages, but not after ACCESS_DENIED or INTEGRITY', async () => {
    for (const code of ['ACCESS_DENIED', 'INTEGRITY'] as const) {
      const inner = createMemoryKeyStore();
      let failWith: KeyStoreError | undefined;
      const store: KeyStore = {
        ...inner,
        getKeyPair: async (id) => {
          if (failWith) throw failWith;
          return inner.getKeyPair!(id);
        },
        getKeyVersions: async (id) => {
          if (failWith) throw failWith;
          return inner.getKeyVersions!(id);
        },
      };
      let now = 0;
      const km = new KeyManager({
        store,
        env: {},
        now: () => now,
        cache: { ttlMs: 100, staleIfErrorMs: 10_000 },
      });
      await km.generateKeyPair('a');
      await km.getKeyPair('a');
      now = 200;
      failWith = new KeyStoreError(code, 'revoked', { storeType: 'memory' });
      await expect(km.getKeyPair('a')).rejects.toMatchObject({ code });
      failWith = new KeyStoreError('UNAVAILABLE', 'down', { storeType: 'memory' });
      expect((await km.getKeyPair('a')).keyId).toBe('a');
    }
  });
});

describe('KeyManager: refresh ahead', () => {
  it('a hot id is reloaded before it expires, so reads never miss; stats count the refreshes', async () => {
    let now = 1_000_000;
    const { store, state } = observed();
    const km = new KeyManager({ store, env: {}, now: () => now, cache: { ttlMs: 10_000 } });
    await km.generateKeyPair('hot');
    await km.getKeyPair('hot');
    const missesAfterFirstRead = km.stats.misses;
    // Read every second for ten TTLs: each TTL's last 20% starts one background reload.
    for (let i = 0; i < 100; i++) {
      now += 1_000;
      await km.getKeyPair('hot');
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(km.stats.misses).toBe(missesAfterFirstRead);
    expect(km.stats.refreshes).toBeGreaterThanOrEqual(9);
    expect(state.reads).toBe(1 + km.stats.refreshes);
  });

  it('refuses a refreshAheadRatio outside 0..1', () => {
    expect(
      () => new KeyManager({ store: createMemoryKeyStore(), env: {}, cache: { refreshAheadRatio: 2 } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
