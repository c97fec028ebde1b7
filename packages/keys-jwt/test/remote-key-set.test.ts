// createRemoteKeySet against real loopback servers: HTTP caching (304, max-age clamp), stale-if-error, the
// unknown-kid cooldown counted at the server, concurrent callers, and the member checks of the set.
import { testClock } from '@phlow/test-support/clock';
import { describe, expect, it } from 'vitest';
import { createRemoteKeySet, isRemoteKeySetError, type RemoteKeySetEvent } from '../src/index.js';
import { jwks, newKey, serversClosedAfterEach } from './remote-helpers.js';

const serve = serversClosedAfterEach();

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isRemoteKeySetError(error)) return error.code;
    throw error;
  }
  return 'resolved';
}

describe('createRemoteKeySet: HTTP caching', () => {
  it('revalidates with If-None-Match after max-age, and a 304 keeps the set', async () => {
    const k1 = newKey();
    const server = await serve(
      jwks(() => ({ keys: [k1.publicJwk] }), { etag: '"v1"', 'cache-control': 'max-age=120' }),
    );
    const c = testClock();
    const events: RemoteKeySetEvent[] = [];
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      now: c.now,
      onEvent: (e) => events.push(e),
    });
    expect((await set.getKey(k1.kid))?.kid).toBe(k1.kid);
    c.advance(119_000);
    expect((await set.getKey(k1.kid))?.alg).toBe('EdDSA');
    expect(server.count()).toBe(1);
    c.advance(2_000);
    expect((await set.getKey(k1.kid))?.kid).toBe(k1.kid);
    expect(server.count()).toBe(2);
    expect(server.revalidations).toEqual(['"v1"']);
    expect(events.filter((e) => e.type === 'fetch').map((e) => (e as { status: number }).status)).toEqual([
      200, 304,
    ]);
    // The 304 renewed the freshness by its max-age.
    c.advance(119_000);
    await set.getKey(k1.kid);
    expect(server.count()).toBe(2);
  });

  it('clamps max-age to [minMaxAgeMs, maxMaxAgeMs]', async () => {
    const k1 = newKey();
    const server = await serve(jwks(() => ({ keys: [k1.publicJwk] }), { 'cache-control': 'max-age=1' }));
    const c = testClock();
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      now: c.now,
      minMaxAgeMs: 60_000,
    });
    await set.keys();
    c.advance(59_000);
    await set.keys();
    expect(server.count()).toBe(1); // max-age=1 raised to the 60 s floor
    c.advance(1_000);
    await set.keys();
    expect(server.count()).toBe(2);

    server.handler = jwks(() => ({ keys: [k1.publicJwk] }), { 'cache-control': 'max-age=31536000' });
    const long = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      now: c.now,
      maxMaxAgeMs: 600_000,
    });
    await long.keys();
    c.advance(599_000);
    await long.keys();
    expect(server.count()).toBe(3); // a year cut to ten minutes
    c.advance(1_000);
    await long.keys();
    expect(server.count()).toBe(4);
  });

  it('takes freshness from Expires minus Date without a max-age, and from Age', async () => {
    const k1 = newKey();
    const date = new Date('2026-12-07T12:00:00Z');
    const server = await serve(
      jwks(() => ({ keys: [k1.publicJwk] }), {
        date: date.toUTCString(),
        expires: new Date(date.getTime() + 600_000).toUTCString(),
      }),
    );
    const c = testClock();
    const set = createRemoteKeySet(server.url(), { allowInsecureLoopback: true, now: c.now });
    await set.keys();
    c.advance(599_000);
    await set.keys();
    expect(server.count()).toBe(1);
    c.advance(1_000);
    await set.keys();
    expect(server.count()).toBe(2);

    server.handler = jwks(() => ({ keys: [k1.publicJwk] }), { 'cache-control': 'max-age=600', age: '500' });
    const aged = createRemoteKeySet(server.url(), { allowInsecureLoopback: true, now: c.now });
    await aged.keys();
    c.advance(99_000);
    await aged.keys();
    expect(server.count()).toBe(3);
    c.advance(1_000);
    await aged.keys();
    expect(server.count()).toBe(4); // 600 s minus the 500 s it had already aged
  });

  it('serves known keys while the server is down, within staleIfErrorMs, then refuses', async () => {
    const k1 = newKey();
    const server = await serve(jwks(() => ({ keys: [k1.publicJwk] }), { 'cache-control': 'max-age=60' }));
    const c = testClock();
    const events: RemoteKeySetEvent[] = [];
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      now: c.now,
      staleIfErrorMs: 3_600_000,
      cooldownMs: 30_000,
      onEvent: (e) => events.push(e),
    });
    await set.getKey(k1.kid);
    await server.close();
    c.advance(61_000);
    expect((await set.getKey(k1.kid))?.kid).toBe(k1.kid); // fetch failed, stale served
    expect(events.some((e) => e.type === 'fetch-failed' && e.stale && e.code === 'FETCH_FAILED')).toBe(true);
    expect(events.some((e) => e.type === 'stale')).toBe(true);
    c.advance(3_500_000);
    expect((await set.getKey(k1.kid))?.kid).toBe(k1.kid); // still inside 60 s + 1 h
    c.advance(100_000);
    expect(await codeOf(set.getKey(k1.kid))).toBe('FETCH_FAILED');
    expect(await codeOf(set.keys())).toBe('FETCH_FAILED');
  });

  it('a server error, a bad body or a too-large set does not evict the known keys', async () => {
    const k1 = newKey();
    const server = await serve(jwks(() => ({ keys: [k1.publicJwk] }), { 'cache-control': 'max-age=60' }));
    const c = testClock();
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      now: c.now,
      cooldownMs: 1_000,
    });
    await set.keys();
    const failures: [string, (typeof server)['handler']][] = [
      ['FETCH_FAILED', (_req, res) => res.writeHead(500).end('oops')],
      [
        'BAD_RESPONSE',
        (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":'),
      ],
      ['BAD_RESPONSE', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>')],
      [
        'BAD_RESPONSE',
        (_req, res) =>
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[],"keys":[]}'),
      ],
      ['TOO_MANY_KEYS', jwks(() => ({ keys: Array.from({ length: 101 }, () => k1.publicJwk) }))],
    ];
    for (const [code, handler] of failures) {
      server.handler = handler;
      c.advance(61_000);
      expect(await codeOf(set.refresh())).toBe(code);
      expect((await set.getKey(k1.kid))?.kid).toBe(k1.kid);
    }
  });
});

describe('createRemoteKeySet: unknown kids', () => {
  it('a flood of 1,000 unknown kids makes at most one fetch per cooldown, counted at the server', async () => {
    const k1 = newKey();
    let keys = [k1.publicJwk];
    const server = await serve(jwks(() => ({ keys })));
    const c = testClock();
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      now: c.now,
      cooldownMs: 30_000,
      negativeTtlMs: 0,
    });
    await set.keys();
    expect(server.count()).toBe(1);
    const flood = () =>
      Promise.all(Array.from({ length: 1000 }, (_, i) => set.getKey(`forged-${c.ms}-${i}`)));
    expect((await flood()).every((k) => k === undefined)).toBe(true);
    expect(server.count()).toBe(1); // within the cooldown of the first fetch: none
    c.advance(30_000);
    await flood();
    expect(server.count()).toBe(2); // one for the whole flood
    await flood();
    expect(server.count()).toBe(2);
    // A real rotation is picked up by the one refetch after the cooldown.
    const k2 = newKey();
    keys = [k1.publicJwk, k2.publicJwk];
    expect(await set.getKey(k2.kid)).toBeUndefined();
    c.advance(30_000);
    expect((await set.getKey(k2.kid))?.kid).toBe(k2.kid);
    expect(server.count()).toBe(3);
  });

  it('keeps a kid unknown after its refetch negative for negativeTtlMs, at most 5 minutes', async () => {
    const k1 = newKey();
    const server = await serve(jwks(() => ({ keys: [k1.publicJwk] })));
    const c = testClock();
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      now: c.now,
      cooldownMs: 1_000,
      negativeTtlMs: 120_000,
      minMaxAgeMs: 3_600_000,
    });
    await set.keys();
    c.advance(1_000);
    expect(await set.getKey('unknown')).toBeUndefined();
    expect(server.count()).toBe(2);
    c.advance(60_000);
    expect(await set.getKey('unknown')).toBeUndefined();
    expect(server.count()).toBe(2); // negative entry
    c.advance(60_000);
    expect(await set.getKey('unknown')).toBeUndefined();
    expect(server.count()).toBe(3);
    expect(() => createRemoteKeySet(server.url(), { negativeTtlMs: 300_001 })).toThrow(/negativeTtlMs/);
  });

  it('concurrent first callers share one fetch', async () => {
    const k1 = newKey();
    const server = await serve(jwks(() => ({ keys: [k1.publicJwk] })));
    const set = createRemoteKeySet(server.url(), { allowInsecureLoopback: true });
    const found = await Promise.all(Array.from({ length: 200 }, () => set.getKey(k1.kid)));
    expect(found.every((k) => k?.kid === k1.kid)).toBe(true);
    expect(server.count()).toBe(1);
  });

  it("answers undefined outside a key's nbf/exp", async () => {
    const k1 = newKey();
    const k2 = newKey();
    const c = testClock(1_000_000_000_000);
    const server = await serve(
      jwks(() => ({
        keys: [
          { ...k1.publicJwk, nbf: c.ms / 1000 + 100 },
          { ...k2.publicJwk, exp: c.ms / 1000 + 100 },
        ],
      })),
    );
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      now: c.now,
      minMaxAgeMs: 3_600_000,
    });
    expect(await set.getKey(k1.kid)).toBeUndefined();
    expect((await set.getKey(k2.kid))?.expires).toBe(c.ms + 100_000);
    expect((await set.keys()).map((k) => k.kid)).toEqual([k2.kid]);
    c.advance(100_000);
    expect((await set.getKey(k1.kid))?.kid).toBe(k1.kid);
    expect(await set.getKey(k2.kid)).toBeUndefined();
  });
});

describe('createRemoteKeySet: the members of a set', () => {
  it('skips private JWKs without echoing them, and keys the table or the thumbprint rule refuses', async () => {
    const good = newKey('ec');
    const leaked = newKey();
    const rsa1024 = newKey('rsa', 1024);
    const other = newKey();
    const server = await serve(
      jwks(() => ({
        keys: [
          { ...leaked.publicJwk, d: leaked.privateJwk.d },
          rsa1024.publicJwk,
          { ...other.publicJwk, kid: good.kid }, // claims another key's kid
          { ...other.publicJwk, alg: 'HS256' },
          { ...other.publicJwk, use: 'enc' },
          { kty: 'oct', k: 'c2VjcmV0' },
          'not a key',
          good.publicJwk,
          good.publicJwk,
        ],
      })),
    );
    const events: RemoteKeySetEvent[] = [];
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      onEvent: (e) => events.push(e),
    });
    const keys = await set.keys();
    expect(keys.map((k) => k.kid)).toEqual([good.kid]);
    expect(keys[0]!.alg).toBe('ES256');
    expect(Object.keys(keys[0]!.jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(await set.getKey(leaked.kid)).toBeUndefined();
    expect(
      events.filter((e) => e.type === 'key-skipped').map((e) => (e as { reason: string }).reason),
    ).toEqual([
      'private-members',
      'refused-key',
      'kid-mismatch',
      'alg',
      'use',
      'private-members',
      'not-an-object',
      'duplicate',
    ]);
    const seen = JSON.stringify(events);
    expect(seen).not.toContain(leaked.privateJwk.d);
    expect(seen).not.toContain(leaked.publicJwk.x);
  });

  it('refuses a set of 10,000 keys whole (TOO_MANY_KEYS) and reads none of it as keys', async () => {
    const k1 = newKey();
    const server = await serve(jwks(() => ({ keys: Array.from({ length: 10_000 }, () => k1.publicJwk) })));
    const events: RemoteKeySetEvent[] = [];
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      maxBytes: 4 * 1024 * 1024,
      onEvent: (e) => events.push(e),
    });
    expect(await codeOf(set.keys())).toBe('TOO_MANY_KEYS');
    expect(events.some((e) => e.type === 'key-skipped')).toBe(false);
  });
});
