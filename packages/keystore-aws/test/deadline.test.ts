// The total deadline of a request (requestDeadlineMs): an endpoint that answers one byte a second never trips
// the SDK's per-attempt timeouts, and must not hold a read, or the KeyManager callers waiting on it, past the
// deadline. The trickling server (@phlow/test-support) sits in front of moto and can be switched to answering by
// itself. Generous deadlines, no duration assertions: only outcomes and codes.
import { isKeyStoreError } from '@phlow/keys-core';
import { callersDuringTrickle, failureOf, whileTrickling } from '@phlow/test-support/deadline';
import { startTrickleServer, type TrickleServer } from '@phlow/test-support/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsKeyStore, createAwsKeyStore } from '../src/index.js';
import { ed25519Pems, freshId } from './helpers/keys.js';
import { requireMoto } from './helpers/moto.js';

const { endpoint } = requireMoto();
const prefix = `${freshId('deadline')}/`;
let server: TrickleServer;
const stores: AwsKeyStore[] = [];

beforeAll(async () => {
  server = await startTrickleServer(endpoint, 'application/x-amz-json-1.1');
});
afterAll(async () => {
  server.trickle(false);
  for (const store of stores) await store.close();
  await server.close();
});

/** A store behind the trickling server: per-attempt timeouts far above one second, a deadline of 3 s. */
function trickled(): AwsKeyStore {
  const store = createAwsKeyStore({
    prefix,
    endpoint: server.address,
    requestTimeoutMs: 20_000,
    requestDeadlineMs: 3_000,
    maxAttempts: 3,
  });
  stores.push(store);
  return store;
}

describe('an endpoint that trickles its answer', () => {
  it('ends a read and a write UNAVAILABLE at the deadline, naming the setting', async () => {
    const store = trickled();
    const keyId = freshId('trickle');
    const pair = ed25519Pems();
    const [read, write] = await whileTrickling(server, async () => [
      await failureOf(store.getKeyPair(keyId)),
      await failureOf(store.storeKeyPair(keyId, pair.privateKey, pair.publicKey)),
    ]);
    expect(isKeyStoreError(read, 'UNAVAILABLE'), String(read)).toBe(true);
    expect((read as Error).message).toContain('PHLOW_AWS_REQUEST_DEADLINE_MS');
    expect((read as Error).message).toContain(server.address);
    expect(isKeyStoreError(write, 'UNAVAILABLE'), String(write)).toBe(true);
    // The same store works again once the endpoint answers.
    await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    expect((await store.getKeyPair(keyId))?.publicKey).toBe(pair.publicKey);
    await store.deleteKeyPair(keyId, { destroy: true });
  });

  it('releases every KeyManager caller waiting on the read, and stale-if-error serves a cached key', async () => {
    const keyId = freshId('trickle-km');
    const pair = ed25519Pems();
    const direct = createAwsKeyStore({ prefix });
    stores.push(direct);
    await direct.storeKeyPair(keyId, pair.privateKey, pair.publicKey);

    const got = await callersDuringTrickle(server, trickled, keyId);
    expect(got.warm.publicKey).toBe(pair.publicKey);
    // Five callers of an id nobody has cached share one read: all of them get the error.
    for (const error of got.cold) expect(isKeyStoreError(error, 'UNAVAILABLE'), String(error)).toBe(true);
    // Past the TTL, the refresh runs into the deadline and the cached key is served, saying so.
    for (const p of got.served) expect(p.publicKey).toBe(pair.publicKey);
    expect(isKeyStoreError(got.stale?.error, 'UNAVAILABLE')).toBe(true);
    await direct.deleteKeyPair(keyId, { destroy: true });
  });
});
