// The bounds of one fetch, against real loopback servers: no redirects (the target receives nothing), the
// whole-request deadline against a server that sends one byte a second, the size cap while streaming, https
// with a certificate checked against the name, and the address policy on the resolved address.
import { describe, expect, it } from 'vitest';
import { addressKind, createRemoteKeySet } from '../src/index.js';
import { failure, jwks, loopback, newKey, selfSigned, serversClosedAfterEach } from './remote-helpers.js';

const serve = serversClosedAfterEach();

describe('bounded fetch', () => {
  it('refuses a redirect, and the redirect target receives 0 requests', async () => {
    const k1 = newKey();
    const target = await serve(jwks(() => ({ keys: [k1.publicJwk] })));
    for (const status of [301, 302, 303, 307, 308]) {
      const origin = await serve((_req, res) => res.writeHead(status, { location: target.url() }).end());
      const error = await failure(createRemoteKeySet(origin.url(), loopback).keys());
      expect(error.code).toBe('REDIRECT_REFUSED');
      expect(error.status).toBe(status);
      expect(origin.count()).toBe(1);
    }
    expect(target.count()).toBe(0);
  });

  it('cuts a server that sends one byte a second at the whole-request deadline (TIMEOUT)', async () => {
    let bytesSent = 0;
    const timers = new Set<NodeJS.Timeout>();
    const body = JSON.stringify({ keys: [newKey().publicJwk] });
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      const timer = setInterval(() => {
        if (res.destroyed || bytesSent >= body.length) {
          clearInterval(timer);
          return;
        }
        res.write(body[bytesSent++]);
      }, 1000);
      timers.add(timer);
    });
    const events: string[] = [];
    const set = createRemoteKeySet(server.url(), {
      ...loopback,
      timeoutMs: 1500,
      onEvent: (e) => events.push(`${e.type}:${'code' in e ? e.code : ''}`),
    });
    const error = await failure(set.keys());
    for (const t of timers) clearInterval(t);
    expect(error.code).toBe('TIMEOUT');
    expect(bytesSent).toBeLessThan(body.length); // cut while the body was still coming
    expect(events).toEqual(['fetch-failed:TIMEOUT']);
  });

  it('refuses a 10 MB body, declared or streamed without a length, without reading it whole', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const big = (declare: boolean) => (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(declare ? { 'content-length': String(10 * 1024 * 1024) } : {}),
      });
      let sent = 0;
      const pump = () => {
        while (sent < 10 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      pump();
    };
    for (const declare of [true, false]) {
      const server = await serve(big(declare));
      const error = await failure(createRemoteKeySet(server.url(), loopback).keys());
      expect(error.code).toBe('TOO_LARGE');
      expect(error.message).toMatch(/262144 bytes \(maxBytes\)/);
    }
  });

  it('a body cut off before its Content-Length is FETCH_FAILED, not a truncated set', async () => {
    const body = JSON.stringify({ keys: [newKey().publicJwk] });
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.write(body.slice(0, 20));
      setImmediate(() => res.destroy());
    });
    const error = await failure(createRemoteKeySet(server.url(), { ...loopback, timeoutMs: 60_000 }).keys());
    expect(error.code).toBe('FETCH_FAILED');
  });

  it('refuses a compressed body, and a wrong media type unless accepted', async () => {
    const k1 = newKey();
    const gz = await serve((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end('xx'),
    );
    expect((await failure(createRemoteKeySet(gz.url(), loopback).keys())).code).toBe('BAD_RESPONSE');
    const dir = 'application/http-message-signatures-directory+json';
    const server = await serve(jwks(() => ({ keys: [k1.publicJwk] }), {}, `${dir}; charset=utf-8`));
    expect((await failure(createRemoteKeySet(server.url(), loopback).keys())).code).toBe('BAD_RESPONSE');
    const set = createRemoteKeySet(server.url(), { ...loopback, accept: [dir] });
    expect((await set.keys()).map((k) => k.kid)).toEqual([k1.kid]);
  });

  it('never echoes the response body in errors', async () => {
    const leaked = newKey();
    const body = JSON.stringify({ keys: [leaked.privateJwk], extra: 'x'.repeat(10) });
    const server = await serve((_req, res) =>
      res.writeHead(500, { 'content-type': 'application/json' }).end(body),
    );
    const error = await failure(createRemoteKeySet(server.url(), loopback).keys());
    expect(error.code).toBe('FETCH_FAILED');
    expect(JSON.stringify({ message: error.message, json: error.toJSON() })).not.toContain(
      leaked.privateJwk.d,
    );
  });
});

describe('https and the address policy', () => {
  it('verifies the certificate against the name while connecting to the checked address', async () => {
    const tls = selfSigned('jwks.test');
    const k1 = newKey();
    const server = await serve(
      jwks(() => ({ keys: [k1.publicJwk] })),
      tls,
      'jwks.test',
    );
    const lookups: string[] = [];
    // jwks.test is in no DNS: the connection can only go to the address the resolver answered and we checked.
    const resolve = async (host: string) => {
      lookups.push(host);
      return [{ address: '127.0.0.1', family: 4 as const }];
    };
    const set = createRemoteKeySet(server.url(), { ca: tls.cert, resolve, allowInsecureLoopback: true });
    expect((await set.keys()).map((k) => k.kid)).toEqual([k1.kid]);
    expect(lookups).toEqual(['jwks.test']);

    const untrusted = createRemoteKeySet(server.url(), { resolve, allowInsecureLoopback: true });
    expect((await failure(untrusted.keys())).code).toBe('FETCH_FAILED');
    expect(server.count()).toBe(1);
  });

  it('refuses a host name that resolves to a loopback or private address unless allowed (0 requests)', async () => {
    const k1 = newKey();
    const server = await serve(
      jwks(() => ({ keys: [k1.publicJwk] })),
      undefined,
      'jwks.test',
    );
    const to = (address: string) => async () => [
      { address, family: (address.includes(':') ? 6 : 4) as 4 | 6 },
    ];
    const https = server.url().replace('http:', 'https:');
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '169.254.169.254',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      '192.168.1.1',
    ]) {
      const error = await failure(createRemoteKeySet(https, { resolve: to(address) }).keys());
      expect(error.code, address).toBe('ADDRESS_REFUSED');
    }
    // One refused address among the answers is enough to refuse.
    const mixed = async () => [
      { address: '93.184.215.14', family: 4 as const },
      { address: '127.0.0.1', family: 4 as const },
    ];
    expect((await failure(createRemoteKeySet(https, { resolve: mixed }).keys())).code).toBe(
      'ADDRESS_REFUSED',
    );
    expect(server.count()).toBe(0);

    // Allowed: loopback with allowInsecureLoopback (plain http to it), anything with allowPrivateAddresses.
    const set = createRemoteKeySet(server.url(), { resolve: to('127.0.0.1'), allowInsecureLoopback: true });
    expect((await set.keys()).map((k) => k.kid)).toEqual([k1.kid]);
    expect(server.count()).toBe(1);
  });

  it('refuses http: except to loopback with allowInsecureLoopback (INSECURE_URL, nothing sent)', async () => {
    const server = await serve(
      jwks(() => ({ keys: [] })),
      undefined,
      'jwks.test',
    );
    const resolvePublic = async () => [{ address: '93.184.215.14', family: 4 as const }];
    expect((await failure(createRemoteKeySet(server.url()).keys())).code).toBe('INSECURE_URL');
    expect(
      (
        await failure(
          createRemoteKeySet(server.url(), { allowInsecureLoopback: true, resolve: resolvePublic }).keys(),
        )
      ).code,
    ).toBe('INSECURE_URL');
    expect(
      (await failure(createRemoteKeySet('http://127.0.0.1:1/jwks', { allowPrivateAddresses: true }).keys()))
        .code,
    ).toBe('INSECURE_URL');
    expect(server.count()).toBe(0);
    expect(() => createRemoteKeySet('ftp://example.com/jwks')).toThrow(/https/);
    expect(() => createRemoteKeySet('https://user:pw@example.com/jwks')).toThrow(/credentials/);
  });

  it('classifies addresses', () => {
    const table: [string, string][] = [
      ['8.8.8.8', 'public'],
      ['2606:4700::1', 'public'],
      ['127.0.0.2', 'loopback'],
      ['::1', 'loopback'],
      ['10.0.0.1', 'private'],
      ['172.16.0.1', 'private'],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['fc00::1', 'unique-local'],
      ['fd12:3456::1', 'unique-local'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['::ffff:8.8.8.8', 'ipv4-mapped'],
      ['::ffff:7f00:1', 'ipv4-mapped'],
      ['0:0:0:0:0:ffff:127.0.0.1', 'ipv4-mapped'],
      ['::127.0.0.1', 'ipv4-mapped'],
      ['64:ff9b::a00:1', 'ipv4-mapped'],
      ['2002:7f00:1::1', 'ipv4-mapped'],
      ['2001:0:4136:e378::1', 'ipv4-mapped'],
      ['ff02::1', 'reserved'],
      ['224.0.0.1', 'reserved'],
      ['127.1', 'reserved'],
      ['0x7f000001', 'reserved'],
      ['not-an-ip', 'reserved'],
    ];
    expect(table.map(([address]) => [address, addressKind(address)])).toEqual(table);
  });
});
