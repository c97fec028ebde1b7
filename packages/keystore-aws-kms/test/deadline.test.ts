// The total deadline of a KMS request: an endpoint that answers one byte a second never trips the SDK's
// per-attempt (idle-socket) timeout, and must not hold a signature or a read, or the KeyManager callers waiting
// on it, past the deadline. The trickling server (@phlow/keystore-testkit/transport) sits in front of ministack and can be
// switched to answering by itself. No duration assertions: only outcomes and codes.
import { isKeyStoreError, KeyManager } from '@phlow/keys-core';
import { startTrickleServer, type TrickleServer } from '@phlow/keystore-testkit/transport';
import { failureOf, whileTrickling } from '@phlow/test-support/deadline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsKmsKeyStore, createAwsKmsKeyStore } from '../src/index.js';

const upstream = process.env.AWS_ENDPOINT_URL_KMS;
if (!upstream) throw new Error('run through tooling/services/ministack/with-ministack.sh (pnpm test)');
let server: TrickleServer;
const stores: AwsKmsKeyStore[] = [];
const message = new TextEncoder().encode('hello from an agent');
const uid = (label: string) =>
  `kms-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  server = await startTrickleServer(upstream, 'application/x-amz-json-1.1');
});
afterAll(async () => {
  server.trickle(false);
  for (const store of stores) await store.close();
  await server.close();
});

/** A store behind the trickling server, as the issue measured it: `timeoutMs: 2000`, nothing else. */
function trickled(): AwsKmsKeyStore {
  const store = createAwsKmsKeyStore({ endpoint: server.address, timeoutMs: 2_000 });
  stores.push(store);
  return store;
}

describe('an endpoint that trickles its answer', () => {
  it('ends a signature and a read UNAVAILABLE at the deadline, naming the setting', async () => {
    const store = trickled();
    const keyId = uid('trickle');
    await store.createKey(keyId);
    const [signed, read] = await whileTrickling(server, async () => [
      await failureOf(store.sign(keyId, message)),
      await failureOf(store.getPublicKeyVersions(keyId)),
    ]);
    for (const failure of [signed, read]) {
      expect(isKeyStoreError(failure, 'UNAVAILABLE'), String(failure)).toBe(true);
      expect((failure as Error).message).toContain('PHLOW_AWS_KMS_DEADLINE_MS');
    }
    // The same store works again once the endpoint answers.
    expect((await store.sign(keyId, message)).length).toBe(64);
    await store.deleteKeyPair(keyId);
  });

  it('releases every KeyManager caller waiting on a signature', async () => {
    const keyId = uid('trickle-km');
    const direct = createAwsKmsKeyStore();
    stores.push(direct);
    await direct.createKey(keyId);
    const keys = new KeyManager({ store: trickled(), env: {} });
    const got = await whileTrickling(server, () =>
      Promise.all([1, 2, 3, 4, 5].map(() => failureOf(keys.sign(keyId, 'hello')))),
    );
    for (const error of got) expect(isKeyStoreError(error, 'UNAVAILABLE'), String(error)).toBe(true);
    await keys.close();
    await direct.deleteKeyPair(keyId);
  });
});
