import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryKeyStore, KeyStoreError } from '@phlow/keys-core';
import { testClock } from '@phlow/test-support/clock';
import { expectIfNoneMatchRule } from '@phlow/test-support/if-none-match';
import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  cardMaxAgeBound,
  createAgentCardHandler,
  createAgentCardNodeHandler,
  isAgentCardError,
  verifyAgentCard,
} from '../src/index.js';
import { manager } from './helpers.js';
import { sampleCard } from './sample-card.mjs';
import { publicOnly } from './signer-store.js';

const URL_ = 'http://agent.test/.well-known/agent-card.json';
const kids = (card: unknown) =>
  (card as { signatures: { protected: string }[] }).signatures.map(
    (s) => JSON.parse(new TextDecoder().decode(base64url.decode(s.protected))).kid as string,
  );

async function setup(delayMs = 600_000, algorithm: 'EdDSA' | 'ES256' = 'EdDSA') {
  const clock = testClock();
  const backing = createMemoryKeyStore();
  const writer = manager(backing, clock.now, delayMs);
  const first = await writer.generateKeyPair('agent', { algorithm });
  const store = publicOnly(backing);
  const keys = manager(store, clock.now, delayMs, { signingRecheckMs: 0 });
  return { clock, backing, writer, first, store, keys };
}

describe('createAgentCardHandler', () => {
  it("answers If-None-Match by keys-jwt's one rule: *, a list, W/ match; other tags do not", async () => {
    const { keys } = await setup();
    const handler = createAgentCardHandler(keys, 'agent', sampleCard());
    await expectIfNoneMatchRule(handler, URL_);
    handler.close();
  });

  it('serves the signed card with an ETag and max-age of half the rotation delay; If-None-Match gets a 304', async () => {
    const { keys, writer, first } = await setup();
    const handler = createAgentCardHandler(keys, 'agent', sampleCard(), {
      jku: 'https://agent.example/jwks.json',
    });
    const res = await handler(new Request(URL_));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('content-type')).toBe('application/json');
    const etag = res.headers.get('etag')!;
    const card = await res.json();
    expect(kids(card)).toEqual([first.kid]);
    // The card names its JWK Set (jku); this verifier trusts the store's keys and does not follow it.
    await expect(
      verifyAgentCard(card, { algorithms: ['EdDSA'], keys: writer, keyIds: ['agent'], jku: 'ignore' }),
    ).resolves.toMatchObject({ kid: first.kid });
    const again = await handler(new Request(URL_, { headers: { 'if-none-match': `"x", W/${etag}` } }));
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect((await handler(new Request(URL_, { method: 'HEAD' }))).status).toBe(200);
    expect((await handler(new Request(URL_, { method: 'POST' }))).status).toBe(405);
    handler.close();
  });

  it('refuses a max-age a rotation could outrun', async () => {
    const { keys } = await setup(600_000);
    expect(cardMaxAgeBound(600_000)).toBe(300);
    expect(cardMaxAgeBound(86_400_000)).toBe(3600);
    const error = (() => {
      try {
        createAgentCardHandler(keys, 'agent', sampleCard(), { maxAgeSeconds: 301 });
      } catch (e) {
        return e;
      }
    })();
    expect(isAgentCardError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(() => createAgentCardHandler(keys, 'agent', { n: Number.NaN })).toThrow(/RFC 8785/);
  });

  it('signs once for concurrent requests, re-signs on its own rotation at once, and after max-age otherwise', async () => {
    const { writer: keys, clock, first } = await setup(600_000, 'ES256');
    const store = { signs: 0 };
    const signDetailed = keys.signDetailed.bind(keys);
    keys.signDetailed = (...args) => {
      store.signs++;
      return signDetailed(...args);
    };
    const handler = createAgentCardHandler(keys, 'agent', sampleCard(), { now: clock.now });
    const responses = await Promise.all(Array.from({ length: 20 }, () => handler(new Request(URL_))));
    expect(new Set(responses.map((r) => r.headers.get('etag'))).size).toBe(1);
    expect(store.signs).toBe(1);
    const etag = responses[0]!.headers.get('etag')!;
    // After max-age with the same keys: signed again (ES256 signatures differ), served with the same ETag.
    clock.advance(300_000);
    const same = await handler(new Request(URL_, { headers: { 'if-none-match': etag } }));
    expect(store.signs).toBe(2);
    expect(same.status).toBe(304);
    expect(same.headers.get('cache-control')).toBe('public, max-age=300');
    // A rotation through this KeyManager: the next request has the signing and the next key.
    const { kid: next } = await keys.rotateKeyPair('agent');
    const rotated = await handler(new Request(URL_, { headers: { 'if-none-match': etag } }));
    expect(rotated.status).toBe(200);
    expect(kids(await rotated.json())).toEqual([first.kid, next]);
    // Past the activation (and max-age): only the new key.
    clock.advance(600_001);
    const after = await handler(new Request(URL_));
    expect(kids(await after.json())).toEqual([next]);
    handler.close();
  });

  it('re-signs within the cache TTL when another process rotates or revokes, not only after max-age', async () => {
    const clock = testClock();
    const backing = createMemoryKeyStore();
    const keys = manager(backing, clock.now, 600_000, { cache: { ttlMs: 0, staleIfErrorMs: 0 } });
    const elsewhere = manager(backing, clock.now, 600_000);
    const { kid: k1 } = await keys.generateKeyPair('agent');
    const handler = createAgentCardHandler(keys, 'agent', sampleCard(), { now: clock.now });
    expect(kids(await (await handler(new Request(URL_))).json())).toEqual([k1]);
    const { kid: k2 } = await elsewhere.rotateKeyPair('agent');
    clock.advance(1000);
    expect(kids(await (await handler(new Request(URL_))).json())).toEqual([k1, k2]);
    const { kid: k3 } = await elsewhere.rotateKeyPair('agent', { revokePrevious: true });
    // Within the second: the card served is unchanged (the comparison runs at most once a second).
    expect(kids(await (await handler(new Request(URL_))).json())).toEqual([k1, k2]);
    clock.advance(1000);
    expect(kids(await (await handler(new Request(URL_))).json())).toEqual([k3]);
    handler.close();
  });

  it('serves the last card with max-age 0 during an outage; a 503 for other failures, dropping the card', async () => {
    const { keys, clock } = await setup();
    let failure: KeyStoreError | undefined;
    const failing = {
      ...keys,
      subscribe: keys.subscribe.bind(keys),
      rotationDelayMs: keys.rotationDelayMs,
      staleIfErrorMs: keys.staleIfErrorMs,
      store: keys.store,
      getPublicKeyPair: (id: string) => (failure ? Promise.reject(failure) : keys.getPublicKeyPair(id)),
      getVerificationKeys: keys.getVerificationKeys.bind(keys),
      signDetailed: keys.signDetailed.bind(keys),
    };
    const errors: unknown[] = [];
    const handler = createAgentCardHandler(failing as never, 'agent', sampleCard(), {
      onError: (e) => errors.push(e),
      now: clock.now,
    });
    const ok = await handler(new Request(URL_));
    clock.advance(300_000);
    failure = new KeyStoreError('UNAVAILABLE', 'down');
    const stale = await handler(new Request(URL_));
    expect(stale.status).toBe(200);
    expect(stale.headers.get('cache-control')).toBe('public, max-age=0');
    expect(stale.headers.get('etag')).toBe(ok.headers.get('etag'));
    failure = new KeyStoreError('ACCESS_DENIED', 'revoked');
    expect((await handler(new Request(URL_))).status).toBe(503);
    failure = new KeyStoreError('UNAVAILABLE', 'down');
    expect((await handler(new Request(URL_))).status).toBe(503);
    expect(errors).toHaveLength(3);
    handler.close();
  });

  it('serves over Node http with the Node adapter', async () => {
    const { keys, writer } = await setup();
    const handler = createAgentCardNodeHandler(keys, 'agent', sampleCard());
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/agent-card.json`;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const card = await res.json();
      await expect(
        verifyAgentCard(card, { algorithms: ['EdDSA'], keys: writer, keyIds: ['agent'] }),
      ).resolves.toBeDefined();
      const again = await fetch(url, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    } finally {
      handler.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
