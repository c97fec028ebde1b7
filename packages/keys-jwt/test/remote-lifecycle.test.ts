// The life of a remote key set beyond one fetch: background refresh and close(), Retry-After, failures
// remembered for the cooldown, the validate hook, strict JSON, and deadlines that cover DNS and headers.
import { testClock } from '@phlow/test-support/clock';
import { describe, expect, it } from 'vitest';
import { createRemoteKeySet, type RemoteKeySetEvent } from '../src/index.js';
import { MAX_JSON_DEPTH, parseStrictJson } from '../src/strict-json.js';
import { failure, jwks, loopback, newKey, serversClosedAfterEach } from './remote-helpers.js';

const serve = serversClosedAfterEach();

describe('background refresh and close()', () => {
  it('refetches before expiry without a caller, and stops at close()', async () => {
    const k1 = newKey();
    const server = await serve(jwks(() => ({ keys: [k1.publicJwk] }), { 'cache-control': 'max-age=1' }));
    let fetched = 0;
    let onFetch: (() => void) | undefined;
    const set = createRemoteKeySet(server.url(), {
      ...loopback,
      minMaxAgeMs: 1000,
      backgroundRefresh: true,
      onEvent: (e) => {
        if (e.type !== 'fetch') return;
        fetched++;
        onFetch?.();
      },
    });
    await set.keys();
    // Two more fetches come from the timer alone.
    await new Promise<void>((resolve) => {
      onFetch = () => fetched >= 3 && resolve();
    });
    expect(server.count()).toBe(3);
    set.close();
    expect((await failure(set.getKey(k1.kid))).code).toBe('CLOSED');
    expect((await failure(set.refresh())).code).toBe('CLOSED');
    // Two freshness periods later, nothing more was fetched.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(server.count()).toBe(3);
  });

  it('a background refresh that fails keeps the keys', async () => {
    const k1 = newKey();
    const server = await serve(jwks(() => ({ keys: [k1.publicJwk] }), { 'cache-control': 'max-age=1' }));
    const events: RemoteKeySetEvent[] = [];
    let onFailure: (() => void) | undefined;
    const set = createRemoteKeySet(server.url(), {
      ...loopback,
      minMaxAgeMs: 1000,
      cooldownMs: 1000,
      backgroundRefresh: true,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'fetch-failed') onFailure?.();
      },
    });
    await set.keys();
    server.handler = (_req, res) => res.writeHead(500).end();
    await new Promise<void>((resolve) => {
      onFailure = resolve;
    });
    set.close();
    expect(events.find((e) => e.type === 'fetch-failed')).toMatchObject({
      code: 'FETCH_FAILED',
      status: 500,
      stale: true,
    });
  });
});

describe('failures', () => {
  it('honours Retry-After (bounded to 15 minutes) and remembers a failure for the cooldown', async () => {
    const k1 = newKey();
    const server = await serve((_req, res) => res.writeHead(503, { 'retry-after': '120' }).end());
    const c = testClock();
    const set = createRemoteKeySet(server.url(), { ...loopback, now: c.now, cooldownMs: 30_000 });
    const first = await failure(set.keys());
    expect([first.code, first.status, first.retryAfterMs]).toEqual(['FETCH_FAILED', 503, 120_000]);
    c.advance(60_000);
    expect((await failure(set.getKey(k1.kid))).code).toBe('FETCH_FAILED');
    expect(server.count()).toBe(1); // Retry-After not over: not asked again
    c.advance(60_000);
    server.handler = jwks(() => ({ keys: [k1.publicJwk] }));
    expect((await set.getKey(k1.kid))?.kid).toBe(k1.kid);
    expect(server.count()).toBe(2);

    server.handler = (_req, res) => res.writeHead(429, { 'retry-after': '86400' }).end();
    const other = createRemoteKeySet(server.url(), { ...loopback, now: c.now });
    await failure(other.keys());
    c.advance(15 * 60_000 - 1);
    await failure(other.keys());
    expect(server.count()).toBe(3);
    c.advance(1);
    await failure(other.keys());
    expect(server.count()).toBe(4); // a day asked, 15 minutes granted
  });

  it('a host that stops resolving, or starts resolving to a refused address, does not evict the cached keys', async () => {
    const k1 = newKey();
    const server = await serve(
      jwks(() => ({ keys: [k1.publicJwk] }), { 'cache-control': 'max-age=60' }),
      undefined,
      'jwks.test',
    );
    const c = testClock();
    let answer: () => Promise<{ address: string; family: 4 | 6 }[]> = async () => [
      { address: '127.0.0.1', family: 4 },
    ];
    const events: RemoteKeySetEvent[] = [];
    const set = createRemoteKeySet(server.url(), {
      ...loopback,
      now: c.now,
      cooldownMs: 1_000,
      resolve: () => answer(),
      onEvent: (e) => events.push(e),
    });
    await set.keys();
    answer = async () => {
      throw Object.assign(new Error('queryA ENOTFOUND jwks.test'), { code: 'ENOTFOUND' });
    };
    c.advance(61_000);
    expect((await set.getKey(k1.kid))?.kid).toBe(k1.kid);
    answer = async () => [{ address: '10.0.0.7', family: 4 }];
    c.advance(1_000);
    expect((await set.getKey(k1.kid))?.kid).toBe(k1.kid);
    expect(
      events
        .filter((e) => e.type === 'fetch-failed')
        .map((e) => [(e as { code: string }).code, (e as { stale: boolean }).stale]),
    ).toEqual([
      ['ADDRESS_REFUSED', true],
      ['ADDRESS_REFUSED', true],
    ]);
    expect(server.count()).toBe(1);
  });

  it('cuts a resolver that never answers and a server that never sends headers (TIMEOUT)', async () => {
    const hung = createRemoteKeySet('https://jwks.test/jwks', {
      timeoutMs: 300,
      resolve: () => new Promise(() => {}),
    });
    expect((await failure(hung.keys())).code).toBe('TIMEOUT');
    const server = await serve(() => {
      // Never answers.
    });
    const silent = createRemoteKeySet(server.url(), { ...loopback, timeoutMs: 300 });
    expect((await failure(silent.keys())).code).toBe('TIMEOUT');
    expect(server.count()).toBe(1);
  });

  it('refuses duplicate member names, escaped or nested, and deep nesting (BAD_RESPONSE)', async () => {
    const k1 = newKey();
    const x = JSON.stringify(k1.publicJwk);
    const bodies = [
      '{"keys":[],"keys":[]}',
      '{"keys":[],"\\u006beys":[]}',
      `{"keys":[${x.slice(0, -1)},"x":"AAAA"}]}`,
      `{"keys":[${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}]}`,
    ];
    const server = await serve((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(bodies.shift()),
    );
    for (let i = 0; i < 4; i++) {
      const error = await failure(createRemoteKeySet(server.url(), loopback).keys());
      expect(error.code).toBe('BAD_RESPONSE');
      expect(error.message).not.toContain(k1.publicJwk.x);
    }
    expect(parseStrictJson('{"a":{"b":1},"b":{"a":1},"c":[{"a":1},{"a":2}],"d":"\\"a\\""}')).toEqual({
      value: { a: { b: 1 }, b: { a: 1 }, c: [{ a: 1 }, { a: 2 }], d: '"a"' },
    });
    expect(parseStrictJson('{"a":"x\\\\","a":1}')).toEqual({
      refused: 'an object in the body has the same member name twice',
    });
  });
});

describe('validate', () => {
  it('sees each 200 response, refuses with BAD_RESPONSE (cause kept), and is not asked for a 304', async () => {
    const k1 = newKey();
    const server = await serve(
      jwks(() => ({ keys: [k1.publicJwk] }), {
        etag: '"e1"',
        'cache-control': 'max-age=60',
        signature: 'sig1=:AAAA:',
      }),
    );
    const c = testClock();
    const seen: [number, string | null, number][] = [];
    let refuse = true;
    const set = createRemoteKeySet(server.url(), {
      ...loopback,
      now: c.now,
      cooldownMs: 0,
      validate: ({ status, headers, body }) => {
        seen.push([status, headers.get('signature'), body.length]);
        if (refuse) throw new Error('bad directory signature');
      },
    });
    const error = await failure(set.keys());
    expect(error.code).toBe('BAD_RESPONSE');
    expect((error.cause as Error).message).toBe('bad directory signature');
    refuse = false;
    expect((await set.keys()).map((k) => k.kid)).toEqual([k1.kid]);
    c.advance(61_000);
    await set.keys(); // 304
    expect(server.revalidations).toEqual(['"e1"']);
    expect(seen.map(([s, h]) => [s, h])).toEqual([
      [200, 'sig1=:AAAA:'],
      [200, 'sig1=:AAAA:'],
    ]);
    expect(seen[0]![2]).toBeGreaterThan(0);
  });
});

describe('validate that never settles', () => {
  it('is cut at timeoutMs (TIMEOUT), and the next fetch is not held by it', async () => {
    const k1 = newKey();
    const server = await serve(jwks(() => ({ keys: [k1.publicJwk] })));
    let hang = true;
    const set = createRemoteKeySet(server.url(), {
      ...loopback,
      timeoutMs: 300,
      cooldownMs: 0,
      validate: () => (hang ? new Promise<void>(() => {}) : undefined),
    });
    expect((await failure(set.keys())).code).toBe('TIMEOUT');
    hang = false;
    await set.refresh();
    expect((await set.keys()).map((k) => k.kid)).toEqual([k1.kid]);
  });
});

describe('options', () => {
  it('refuses options that cannot work, naming them', () => {
    const url = 'https://jwks.test/jwks';
    for (const [options, name] of [
      [{ timeoutMs: 0 }, 'timeoutMs'],
      [{ maxBytes: Number.NaN }, 'maxBytes'],
      [{ maxKeys: -1 }, 'maxKeys'],
      [{ cooldownMs: 1.5 }, 'cooldownMs'],
      [{ minMaxAgeMs: 10, maxMaxAgeMs: 5 }, 'maxMaxAgeMs'],
      [{ accept: [] }, 'accept'],
      [{ accept: ['text/html; x'] }, 'accept'],
      [{ onEvent: 'log' }, 'onEvent'],
    ] as const) {
      expect(() => createRemoteKeySet(url, options as never), name).toThrow(new RegExp(name));
    }
    expect(() => createRemoteKeySet('not a url')).toThrow(/not a URL/);
  });
});
