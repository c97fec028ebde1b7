// createRemoteKeySet against a hostile JWK Set server (real loopback servers, counted at the server): keys
// chosen to make each verification expensive, and response games. Counts of events and requests, no timings.
import { createPublicKey, randomBytes } from 'node:crypto';
import { jwkThumbprint } from '@phlow/keys-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRemoteKeySet, type RemoteKeySetEvent } from '../src/index.js';
import { jwks, newKey, selfSigned, serversClosedAfterEach } from './remote-helpers.js';

const serve = serversClosedAfterEach();

/** An odd number of `bits` bits (top bit set), base64url: a modulus or exponent node:crypto parses. */
function oddNumber(bits: number): Buffer {
  const b = randomBytes(bits / 8);
  b[0]! |= 0x80;
  b[b.length - 1]! |= 1;
  return b;
}

/** An RSA public JWK with the given modulus and exponent, kid its thumbprint; parseable by node:crypto. */
function rsaJwk(n: Buffer, e: Buffer) {
  const jwk = { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') };
  createPublicKey({ key: jwk, format: 'jwk' }); // node:crypto takes it: the set must refuse it itself
  return { ...jwk, kid: jwkThumbprint(jwk) };
}

describe('createRemoteKeySet: keys that make verification expensive', () => {
  it('skips an RSA key with a huge exponent or modulus (refused-key) and keeps the ordinary ones', async () => {
    const modulus3072 = oddNumber(3072);
    const hugeExponent = Buffer.from(modulus3072);
    hugeExponent[0] = 0x40; // below the modulus, still 3071 bits
    const expensive = [rsaJwk(modulus3072, hugeExponent), rsaJwk(oddNumber(16384), Buffer.from([1, 0, 1]))];
    const good = newKey('rsa');
    const big = newKey('rsa', 4096);
    const server = await serve(jwks(() => ({ keys: [...expensive, good.publicJwk, big.publicJwk] })));
    const events: RemoteKeySetEvent[] = [];
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      onEvent: (e) => events.push(e),
    });
    expect((await set.keys()).map((k) => k.kid)).toEqual([good.kid, big.kid]);
    for (const key of expensive) expect(await set.getKey(key.kid)).toBeUndefined();
    expect(
      events.filter((e) => e.type === 'key-skipped').map((e) => (e as { reason: string }).reason),
    ).toEqual(['refused-key', 'refused-key']);
    set.close();
  });
});

describe('createRemoteKeySet: background refresh against a server that says no-store', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is scheduled no sooner than 1 s after a fetch, even when the set is fresh for 0 ms', async () => {
    const server = await serve(jwks(() => ({ keys: [newKey().publicJwk] }), { 'cache-control': 'no-store' }));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      backgroundRefresh: true,
      minMaxAgeMs: 0,
      cooldownMs: 30_000,
    });
    await set.refresh();
    expect(server.count()).toBe(1);
    // The one timer left is the background refresh: run it and see how far the clock had to go.
    expect(vi.getTimerCount()).toBe(1);
    const before = Date.now();
    vi.advanceTimersToNextTimer();
    expect(Date.now() - before).toBeGreaterThanOrEqual(1000);
    await set.refresh(); // shares the fetch the timer started
    set.close();
  });
});

describe('createRemoteKeySet: TLS', () => {
  it('a certificate the trust anchors accept, but for another name, is refused before any request', async () => {
    const tls = selfSigned('other.test');
    const server = await serve(
      jwks(() => ({ keys: [newKey().publicJwk] })),
      tls,
      'jwks.test',
    );
    const resolve = async () => [{ address: '127.0.0.1', family: 4 as const }];
    const set = createRemoteKeySet(server.url(), { ca: tls.cert, resolve, allowInsecureLoopback: true });
    await expect(set.keys()).rejects.toMatchObject({ code: 'FETCH_FAILED' });
    expect(server.count()).toBe(0);
    set.close();
  });
});
