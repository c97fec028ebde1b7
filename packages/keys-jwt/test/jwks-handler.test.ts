// The JWKS endpoint: headers, ETag and 304, one build per cache period shared by concurrent requests,
// bounded parallel reads, failures, and jose's createRemoteJWKSet fetching it over real HTTP on loopback.
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { createMemoryKeyStore } from '@phlow/keys-core';
import { testClock } from '@phlow/test-support/clock';
import { expectIfNoneMatchRule } from '@phlow/test-support/if-none-match';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwksHandler, createJwksNodeHandler, signJwt } from '../src/index.js';
import { countingStore, manager } from './helpers.js';

/** The JWK Set's max-age follows the rotation delay: these tests run with the default staged delay (900 s). */
const stagedManager = (store: Parameters<typeof manager>[0], now?: () => number) =>
  manager(store, now, 86_400_000, 900_000);

const get = (headers: Record<string, string> = {}) =>
  new Request('http://agent.test/.well-known/jwks.json', { headers });

describe('createJwksHandler', () => {
  it('answers If-None-Match by the one rule (matchesIfNoneMatch): *, a list, W/ match; other tags do not', async () => {
    const keys = stagedManager(createMemoryKeyStore());
    await keys.generateKeyPair('a');
    await expectIfNoneMatchRule(createJwksHandler(keys), get().url);
  });

  it('serves every listed key as application/jwk-set+json with Cache-Control and an ETag; 304 on a match', async () => {
    const keys = stagedManager(createMemoryKeyStore());
    await keys.generateKeyPair('a');
    await keys.generateKeyPair('b', { algorithm: 'RS256' });
    const handler = createJwksHandler(keys);
    const res = await handler(get());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jwk-set+json');
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=(300|29\d)$/);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(await res.json()).toEqual(await keys.jwks());
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await handler(get({ 'If-None-Match': ifNoneMatch }));
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
    }
    expect((await handler(get({ 'If-None-Match': '"stale"' }))).status).toBe(200);
    const head = await handler(new Request('http://agent.test/', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await handler(new Request('http://agent.test/', { method: 'POST', body: 'x' }));
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('builds the set once per period: 1,000 requests (100 at a time) cost one listing and one read per id', async () => {
    const { store, counts } = countingStore();
    const keys = stagedManager(store);
    const ids = Array.from({ length: 10 }, (_, i) => `agent-${i}`);
    for (const id of ids) await keys.generateKeyPair(id);
    keys.clear(); // the ids' reads are counted here, not served from what generate read back
    const handler = createJwksHandler(keys, { revalidateSeconds: 60 });
    const before = counts.reads;
    for (let round = 0; round < 10; round++) {
      const responses = await Promise.all(Array.from({ length: 100 }, () => handler(get())));
      expect(responses.every((r) => r.status === 200)).toBe(true);
    }
    expect(counts.lists).toBe(1);
    expect(counts.reads - before).toBe(1 + ids.length);
  });

  it('reads at most `concurrency` ids at once', async () => {
    const { store, counts } = countingStore();
    const keys = stagedManager(store);
    for (let i = 0; i < 20; i++) await keys.generateKeyPair(`agent-${i}`);
    keys.clear();
    counts.maxInFlight = 0;
    const res = await createJwksHandler(keys, { concurrency: 3 })(get());
    expect(((await res.json()) as { keys: unknown[] }).keys).toHaveLength(20);
    expect(counts.maxInFlight).toBeGreaterThan(1);
    expect(counts.maxInFlight).toBeLessThanOrEqual(3);
  });

  it('counts max-age down from the build and rebuilds after the period, from the store (a rotation elsewhere shows)', async () => {
    const clock = testClock();
    const store = createMemoryKeyStore();
    const keys = stagedManager(store, clock.now);
    const elsewhere = stagedManager(store, clock.now); // another process on the same store
    await keys.generateKeyPair('a');
    const handler = createJwksHandler(keys, { maxAgeSeconds: 60, revalidateSeconds: 60, now: clock.now });
    const first = await handler(get());
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    const { kid: newKid } = await elsewhere.rotateKeyPair('a');
    clock.advance(45_000);
    const cached = await handler(get());
    expect(cached.headers.get('cache-control')).toBe('public, max-age=15');
    expect(cached.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(
      ((await cached.json()) as { keys: { kid: string }[] }).keys.map((k: { kid: string }) => k.kid),
    ).not.toContain(newKid);
    clock.advance(16_000);
    const rebuilt = await handler(get());
    expect(rebuilt.headers.get('cache-control')).toBe('public, max-age=60');
    expect(rebuilt.headers.get('etag')).not.toBe(first.headers.get('etag'));
    const kids = ((await rebuilt.json()) as { keys: { kid: string }[] }).keys.map(
      (k: { kid: string }) => k.kid,
    );
    expect(kids).toContain(newKid);
    expect(kids).toHaveLength(2); // the previous key is in its grace period
  });

  it('caps the default max-age at the rotation delay when the manager has one', async () => {
    const keys = Object.assign(stagedManager(createMemoryKeyStore()), { rotationDelayMs: 120_000 });
    await keys.generateKeyPair('a');
    expect((await createJwksHandler(keys)(get())).headers.get('cache-control')).toBe('public, max-age=120');
  });

  it('answers 503 (no-store) when the store fails before any set was built, and serves the last set with max-age 0 after', async () => {
    const clock = testClock();
    const { store, counts } = countingStore();
    const keys = stagedManager(store, clock.now);
    await keys.generateKeyPair('a');
    const errors: unknown[] = [];
    const handler = createJwksHandler(keys, {
      maxAgeSeconds: 60,
      now: clock.now,
      onError: (e) => {
        errors.push(e);
        throw new Error('a hook that throws must change nothing');
      },
    });
    counts.down = true;
    const down = await handler(get());
    expect(down.status).toBe(503);
    expect(down.headers.get('cache-control')).toBe('no-store');
    // Within the retry pause, requests do not reach the store.
    const reads = counts.reads;
    expect((await handler(get())).status).toBe(503);
    expect(counts.reads).toBe(reads);
    counts.down = false;
    clock.advance(6000);
    const up = await handler(get());
    expect(up.status).toBe(200);
    const upBody = await up.text();
    counts.down = true;
    clock.advance(61_000);
    const stale = await handler(get());
    expect(stale.status).toBe(200);
    expect(stale.headers.get('cache-control')).toBe('public, max-age=0');
    expect(await stale.text()).toBe(upBody);
    expect(errors.length).toBe(2);
    expect(errors.every((e) => (e as { code?: string }).code === 'UNAVAILABLE')).toBe(true);
  });

  it('skips an id deleted between the listing and the read, and refuses a store that cannot list without keyIds', async () => {
    const keys = stagedManager(createMemoryKeyStore());
    await keys.generateKeyPair('a');
    const res = await createJwksHandler(keys, { keyIds: ['a', 'gone'] })(get());
    expect(((await res.json()) as { keys: unknown[] }).keys).toHaveLength(1);
    const readOnly = stagedManager({
      ...createMemoryKeyStore(),
      capabilities: { write: true, list: false },
    } as never);
    expect(() => createJwksHandler(readOnly)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => createJwksHandler(keys, { maxAgeSeconds: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('createJwksNodeHandler over real HTTP', () => {
  let server: Server;
  let url: URL;
  const keys = stagedManager(createMemoryKeyStore());

  beforeAll(async () => {
    await keys.generateKeyPair('ed-agent');
    await keys.generateKeyPair('rsa-agent', { algorithm: 'RS256' });
    const jwks = createJwksNodeHandler(keys);
    server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') return jwks(req, res);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('jose createRemoteJWKSet verifies EdDSA and RS256 tokens against it', async () => {
    const remote = createRemoteJWKSet(url, { timeoutDuration: 30_000 });
    for (const id of ['ed-agent', 'rsa-agent']) {
      const token = await signJwt(keys, id, { n: 1 }, { audience: 'peer' });
      const { payload } = await jwtVerify(token, remote, { audience: 'peer', issuer: id });
      expect(payload.n).toBe(1);
    }
  });

  it('survives hostile request lines: an unparsable target, TRACE (400, and the server keeps serving)', async () => {
    const raw = (requestLine: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), '127.0.0.1', () =>
          socket.end(`${requestLine}\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        let answer = '';
        socket.on('data', (d) => (answer += d));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    expect(await raw('GET http://[ HTTP/1.1')).toMatch(/^HTTP\/1\.1 (200|404)/);
    expect(await raw('TRACE /.well-known/jwks.json HTTP/1.1')).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(url)).status).toBe(200);
  });

  it('answers with the headers and a 304 to If-None-Match over HTTP', async () => {
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/jwk-set+json');
    const etag = first.headers.get('etag')!;
    const second = await fetch(url, { headers: { 'If-None-Match': etag } });
    expect(second.status).toBe(304);
  });
});
