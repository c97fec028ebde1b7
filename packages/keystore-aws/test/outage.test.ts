// The endpoint going away mid-test: moto is stopped under a live store (UNAVAILABLE naming the endpoint,
// nothing hangs), then started again on the same port, and the same store instance recovers. moto keeps
// its state in memory, so it comes back empty.
import { isKeyStoreError, KeyManager } from '@phlow/keys-core';
import { afterAll, expect, it } from 'vitest';
import { createAwsKeyStore } from '../src/index.js';
import { ed25519Pems, freshId, pemBody } from './helpers/keys.js';
import { requireMoto, startMoto, stopMoto } from './helpers/moto.js';

const { endpoint } = requireMoto();
const store = createAwsKeyStore({ prefix: `${freshId('outage')}/`, maxAttempts: 2 });

afterAll(async () => {
  await store.close();
});

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isKeyStoreError(error), String(error)).toBe(true);
  return error as Error & { code: string };
}

it('is UNAVAILABLE while the endpoint is down, and recovers when it is back', async () => {
  const keyId = freshId('agent');
  const pair = ed25519Pems();
  const events: string[] = [];
  let now = Date.now();
  const manager = new KeyManager({
    store,
    env: {},
    cache: { ttlMs: 1_000, staleIfErrorMs: 60_000 },
    now: () => now,
    onEvent: (event) => events.push(event.type),
  });
  await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
  expect((await manager.getKeyPair(keyId)).publicKey).toBe(pair.publicKey);

  await stopMoto();
  try {
    const read = await failure(store.getKeyPair(keyId));
    expect(read.code).toBe('UNAVAILABLE');
    expect(read.message).toContain(new URL(endpoint).host);
    expect(read.message).toMatch(/ECONNREFUSED|ECONNRESET/);

    const next = ed25519Pems();
    const write = await failure(store.storeKeyPair(keyId, next.privateKey, next.publicKey));
    expect(write.code).toBe('UNAVAILABLE');
    expect(`${write.message}${JSON.stringify(write)}${String(write.cause)}`).not.toContain(
      pemBody(next.privateKey),
    );

    expect((await failure(store.listKeyIds())).code).toBe('UNAVAILABLE');
    expect((await failure(store.deleteKeyPair(keyId))).code).toBe('UNAVAILABLE');

    // A KeyManager in front keeps serving the key it had, past its TTL, and says so.
    now += 5_000;
    expect((await manager.getKeyPair(keyId)).publicKey).toBe(pair.publicKey);
    expect(events).toContain('stale');
  } finally {
    await startMoto();
  }

  // Same store, same client: the dead keep-alive sockets are replaced. moto came back empty.
  expect(await store.getKeyPair(keyId)).toBeNull();
  await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
  expect((await store.getKeyPair(keyId))?.publicKey).toBe(pair.publicKey);
  await store.deleteKeyPair(keyId, { destroy: true });
});
