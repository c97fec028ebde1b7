// A JWK Set degrades per key, not as a whole (issue 19, item 3): one broken entry (a mismatched env pair, a
// public_key that is not a PEM) is left out and reported as a `skipped` event naming the id and the code,
// never the content, while every other id is served. Stale serving follows KeyManager's rules: an outage
// serves the last set for at most the stale-if-error window; a revoked credential (ACCESS_DENIED) or a
// tampered key file (INTEGRITY) is a 503 at once and the last set is never served again. Memory, env and
// file stores here; Vault and AWS in their packages' jwks-broken-entry tests.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMemoryKeyStore,
  KeyManager,
  type KeyManagerEvent,
  type KeyStore,
  KeyStoreError,
} from '@phlow/keys-core';
import { createEnvKeyStore } from '@phlow/keystore-env';
import { createFileKeyStore, generateMasterKey } from '@phlow/keystore-file';
import { testClock } from '@phlow/test-support/clock';
import { afterAll, describe, expect, it } from 'vitest';
import { createJwksHandler } from '../src/index.js';

const get = () => new Request('http://agent.test/.well-known/jwks.json');

function pems() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function watched(store: KeyStore, now?: () => number, staleIfErrorMs?: number) {
  const events: KeyManagerEvent[] = [];
  const keys = new KeyManager({
    store,
    env: {},
    ...(now ? { now } : {}),
    ...(staleIfErrorMs === undefined ? {} : { cache: { staleIfErrorMs } }),
    onEvent: (e) => {
      if (e.type !== 'audit') events.push(e);
    },
  });
  return { keys, events };
}

/** The handler's set: its kids, and the `skipped` events it caused (checked to carry no key content). */
async function served(keys: KeyManager, events: KeyManagerEvent[]) {
  const res = await createJwksHandler(keys)(get());
  expect(res.status).toBe(200);
  const kids = ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  const skipped = events.filter((e) => e.type === 'skipped');
  expect(JSON.stringify(skipped)).not.toMatch(/BEGIN|not a pem/i);
  return { kids, skipped };
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('one broken entry: the other keys are served', () => {
  it('env: a mismatched pair is left out, the good id served, one skipped event (id and code)', async () => {
    const good = pems();
    const other = pems();
    const env = {
      PHLOW_PRIVATE_KEY_good: good.privateKey,
      PHLOW_PUBLIC_KEY_good: good.publicKey,
      PHLOW_PRIVATE_KEY_bad: good.privateKey,
      PHLOW_PUBLIC_KEY_bad: other.publicKey, // not the public half of that private key
    };
    const { keys, events } = watched(createEnvKeyStore({ env, onWarning: () => {} }));
    const goodKid = (await keys.getPublicKeyPair('good')).kid;
    const { kids, skipped } = await served(keys, events);
    expect(kids).toEqual([goodKid]);
    expect(skipped).toEqual([{ type: 'skipped', keyId: 'bad', code: 'INVALID_KEY' }]);
    // The same through KeyManager.jwks, by name.
    expect((await keys.jwks(['good', 'bad'])).keys.map((k) => k.kid)).toEqual([goodKid]);
  });

  it('file: a public_key that is not a PEM is left out, the good id served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'phlow-jwks-'));
    dirs.push(dir);
    const store = createFileKeyStore({
      path: join(dir, 'keys.enc'),
      masterKey: generateMasterKey(),
      env: {},
    });
    const { keys, events } = watched(store);
    const goodKid = (await keys.generateKeyPair('good')).kid;
    // Written around KeyManager's checks, as whoever holds the file's key could.
    await store.storeKeyPair('bad', pems().privateKey, 'not a pem at all');
    const { kids, skipped } = await served(keys, events);
    expect(kids).toEqual([goodKid]);
    expect(skipped).toEqual([{ type: 'skipped', keyId: 'bad', code: 'INVALID_KEY' }]);
  });

  it('memory: one broken id among 20 leaves 19 served; every id broken is a 503 (nothing to serve), not an empty 200', async () => {
    const store = createMemoryKeyStore();
    const { keys, events } = watched(store);
    for (let i = 0; i < 19; i++) await keys.generateKeyPair(`agent-${String(i).padStart(2, '0')}`);
    await store.storeKeyPair('agent-broken', pems().privateKey, 'not a pem at all');
    const { kids, skipped } = await served(keys, events);
    expect(kids).toHaveLength(19);
    expect(skipped.map((e) => e.type === 'skipped' && e.keyId)).toEqual(['agent-broken']);

    const onlyBroken = createMemoryKeyStore();
    await onlyBroken.storeKeyPair('only', pems().privateKey, 'not a pem at all');
    const res = await createJwksHandler(new KeyManager({ store: onlyBroken, env: {} }))(get());
    expect(res.status).toBe(503);
  });
});

/** A store whose every read can be made to fail with a code. */
function failing(store: KeyStore) {
  const state = { code: undefined as undefined | 'UNAVAILABLE' | 'ACCESS_DENIED' | 'INTEGRITY' };
  const wrap =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (state.code) throw new KeyStoreError(state.code, 'refused by the test', { storeType: 'memory' });
      return fn(...args);
    };
  return {
    state,
    store: {
      ...store,
      getKeyPair: wrap(store.getKeyPair!.bind(store)),
      getKeyVersions: wrap(store.getKeyVersions!.bind(store)),
      listKeyIds: wrap(store.listKeyIds!.bind(store)),
    } as KeyStore,
  };
}

describe('stale serving: bounded, never for a revoked credential or a tampered store', () => {
  it('an outage serves the last set (max-age 0) within revalidation + the stale-if-error window, then 503', async () => {
    const clock = testClock();
    const { store, state } = failing(createMemoryKeyStore());
    const { keys } = watched(store, clock.now, 60_000);
    await keys.generateKeyPair('a');
    const handler = createJwksHandler(keys, { revalidateSeconds: 5, now: clock.now });
    const body = await (await handler(get())).text();
    state.code = 'UNAVAILABLE';
    clock.advance(5_000 + 60_000);
    const stale = await handler(get());
    expect(stale.status).toBe(200);
    expect(stale.headers.get('cache-control')).toBe('public, max-age=0');
    expect(await stale.text()).toBe(body);
    clock.advance(6_000); // past the window (and the retry pause)
    expect((await handler(get())).status).toBe(503);
    state.code = undefined;
    clock.advance(6_000);
    expect((await handler(get())).status).toBe(200);
  });

  for (const code of ['ACCESS_DENIED', 'INTEGRITY'] as const) {
    it(`${code}: 503 at the first revalidation, and the last set is never served again`, async () => {
      const clock = testClock();
      const { store, state } = failing(createMemoryKeyStore());
      const { keys } = watched(store, clock.now, 300_000);
      await keys.generateKeyPair('a');
      const handler = createJwksHandler(keys, { revalidateSeconds: 5, now: clock.now });
      expect((await handler(get())).status).toBe(200);
      state.code = code;
      clock.advance(5_000);
      expect((await handler(get())).status).toBe(503);
      // Later failures that are outages must not bring the dropped set back.
      state.code = 'UNAVAILABLE';
      clock.advance(6_000);
      expect((await handler(get())).status).toBe(503);
    });
  }

  it('file: a tampered key file is a 503 at the first revalidation, not the last set with 200', async () => {
    const clock = testClock();
    const dir = mkdtempSync(join(tmpdir(), 'phlow-jwks-'));
    dirs.push(dir);
    const path = join(dir, 'keys.enc');
    const { keys } = watched(
      createFileKeyStore({ path, masterKey: generateMasterKey(), env: {} }),
      clock.now,
      300_000,
    );
    await keys.generateKeyPair('a');
    const handler = createJwksHandler(keys, { revalidateSeconds: 5, now: clock.now });
    expect((await handler(get())).status).toBe(200);
    const bytes = readFileSync(path);
    bytes[bytes.length - 10]! ^= 0xff;
    writeFileSync(path, bytes);
    clock.advance(5_000);
    const res = await handler(get());
    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});
