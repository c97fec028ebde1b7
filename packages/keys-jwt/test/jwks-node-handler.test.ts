// The Node JWKS adapter over real HTTP: it writes the prepared replies itself (no web Request/Response), so
// each reply is checked against the web handler's for the same store and clock: 200, HEAD, 304, 405, the
// 400 of a forbidden method, a store outage (503 with the same headers) and a store that fails at once.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryKeyStore, KeyStoreError } from '@phlow/keys-core';
import { testClock } from '@phlow/test-support/clock';
import { afterEach, describe, expect, it } from 'vitest';
import { createJwksHandler, createJwksNodeHandler, type NodeJwksHandler } from '../src/index.js';
import { countingStore, manager } from './helpers.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(
  handler: NodeJwksHandler,
): Promise<(method?: string, headers?: Record<string, string>) => Promise<Answer>> {
  const server = createServer((req, res) => handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return (method = 'GET', headers = {}) =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/.well-known/jwks.json', method, headers },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
}

/** What the web handler answers to the same request, headers lower-cased like Node's. */
async function web(
  handler: ReturnType<typeof createJwksHandler>,
  method = 'GET',
  headers: Record<string, string> = {},
) {
  const res = await handler(new Request('http://agent.test/.well-known/jwks.json', { method, headers }));
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

const SAME_HEADERS = ['content-type', 'cache-control', 'etag', 'allow', 'retry-after'] as const;
function expectSame(node: Answer, fromWeb: Awaited<ReturnType<typeof web>>) {
  expect(node.status).toBe(fromWeb.status);
  expect(node.body).toBe(fromWeb.body);
  for (const name of SAME_HEADERS) expect(node.headers[name]).toBe(fromWeb.headers[name]);
}

describe('createJwksNodeHandler', () => {
  it('answers 200, HEAD, 304 (every If-None-Match form) and 405 exactly as the web handler does', async () => {
    const clock = testClock();
    const keys = manager(createMemoryKeyStore(), clock.now, 86_400_000, 900_000);
    await keys.generateKeyPair('a');
    await keys.generateKeyPair('b', { algorithm: 'RS256' });
    const node = await serve(createJwksNodeHandler(keys, { revalidateSeconds: 60, now: clock.now }));
    const webHandler = createJwksHandler(keys, { revalidateSeconds: 60, now: clock.now });

    const first = await node();
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual(await keys.jwks());
    expect(first.headers['content-length']).toBe(String(Buffer.byteLength(first.body)));
    expectSame(first, await web(webHandler));
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);

    const head = await node('HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expectSame(head, await web(webHandler, 'HEAD'));

    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const notModified = await node('GET', { 'If-None-Match': ifNoneMatch });
      expect(notModified.status).toBe(304);
      expect(notModified.body).toBe('');
      expectSame(notModified, await web(webHandler, 'GET', { 'If-None-Match': ifNoneMatch }));
    }
    expect((await node('HEAD', { 'If-None-Match': etag })).status).toBe(304);
    expect((await node('GET', { 'If-None-Match': '"stale"' })).status).toBe(200);

    const post = await node('POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expectSame(post, await web(webHandler, 'POST'));
    expect((await node('TRACE')).status).toBe(400);

    // max-age counts down from the build on both paths: 10 s later, 10 less.
    const maxAge = Number(/max-age=(\d+)/.exec(first.headers['cache-control'] as string)![1]);
    clock.advance(10_000);
    const later = await node();
    expect(later.headers['cache-control']).toBe(`public, max-age=${maxAge - 10}`);
    expectSame(later, await web(webHandler));
  });

  it('serves the prepared set without store reads per request, and rebuilds after a write of its KeyManager', async () => {
    const { store, counts } = countingStore();
    const keys = manager(store, Date.now, 86_400_000, 900_000);
    await keys.generateKeyPair('a');
    const node = await serve(createJwksNodeHandler(keys, { revalidateSeconds: 60 }));
    const before = (await node()).headers.etag;
    const reads = counts.reads;
    for (let i = 0; i < 50; i++) expect((await node()).headers.etag).toBe(before);
    expect(counts.reads).toBe(reads);
    await keys.generateKeyPair('b');
    const after = await node();
    expect(after.headers.etag).not.toBe(before);
    expect((JSON.parse(after.body) as { keys: unknown[] }).keys).toHaveLength(2);
  });

  it('an outage: the last set with max-age 0 within the stale window, then 503 with the web headers', async () => {
    const clock = testClock();
    const { store, counts } = countingStore();
    const keys = manager(store, clock.now, 86_400_000, 900_000);
    await keys.generateKeyPair('a');
    const options = { revalidateSeconds: 5, now: clock.now };
    const node = await serve(createJwksNodeHandler(keys, options));
    const webHandler = createJwksHandler(keys, options);
    const fresh = await node();
    await web(webHandler);
    counts.down = true;
    clock.advance(6_000);
    const stale = await node();
    expect(stale.status).toBe(200);
    expect(stale.headers['cache-control']).toBe('public, max-age=0');
    expect(stale.body).toBe(fresh.body);
    clock.advance(5_000 + keys.staleIfErrorMs + 10_000);
    const down = await node();
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expectSame(down, await web(webHandler));
  });

  it('a revoked credential is a 503 at once, and the last set is not served again', async () => {
    const base = createMemoryKeyStore();
    const clock = testClock();
    let denied = false;
    const store = {
      ...base,
      getKeyVersions: async (id: string) => {
        if (denied) throw new KeyStoreError('ACCESS_DENIED', 'token revoked', { storeType: 'memory' });
        return base.getKeyVersions!(id);
      },
    };
    const keys = manager(store, clock.now, 86_400_000, 900_000);
    await keys.generateKeyPair('a');
    const node = await serve(createJwksNodeHandler(keys, { revalidateSeconds: 5, now: clock.now }));
    expect((await node()).status).toBe(200);
    denied = true;
    clock.advance(6_000);
    const refused = await node();
    expect(refused.status).toBe(503);
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(refused.body).not.toContain('"keys"');
  });

  it('a failure while writing goes to next when given, else a 500; the server keeps serving', async () => {
    const keys = manager(createMemoryKeyStore());
    await keys.generateKeyPair('a');
    const handler = createJwksNodeHandler(keys);
    const errors: unknown[] = [];
    let failNext = true;
    const failOnce: NodeJwksHandler = (req, res, next) => {
      // A writeHead that throws once stands for a failure inside the handler (a bad header, a dead socket).
      const original = res.writeHead.bind(res) as (...args: unknown[]) => typeof res;
      res.writeHead = ((...args: unknown[]) => {
        if (failNext) {
          failNext = false;
          throw new Error('writeHead failed');
        }
        return original(...args);
      }) as typeof res.writeHead;
      handler(req, res, next);
    };
    const withNext = await serve((req, res) =>
      failOnce(req, res, (error) => {
        errors.push(error);
        res.writeHead(502).end('from next');
      }),
    );
    const first = await withNext();
    expect(first.status).toBe(502);
    expect(errors).toHaveLength(1);
    expect((await withNext()).status).toBe(200);

    failNext = true;
    const withoutNext = await serve((req, res) => failOnce(req, res));
    const answered = await withoutNext();
    expect(answered.status).toBe(500);
    expect(answered.body).toBe('internal error');
    expect((await withoutNext()).status).toBe(200);
  });
});
