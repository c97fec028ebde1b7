// An attacker's read of the verifier: each test is something a sender (or a directory server) controls and
// what it must not get. Real loopback servers and raw sockets; counts of requests and results, no timings.
import { connect } from 'node:net';
import type { KeyManager } from '@phlow/keys-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDirectoryHandler,
  createMemoryNonceStore,
  createRequestVerifier,
  MAX_NONCE_LENGTH,
  messageOf,
  requestOfIncoming,
  signNodeRequest,
  signRequest,
  toNodeListener,
} from '../src/index.js';
import { agentManager, loopbackPolicy, serve, serveDirectory, type TestServer } from './helpers.js';

let manager: KeyManager;
beforeAll(async () => {
  manager = await agentManager();
});
afterAll(async () => {
  await manager.close();
});

/** Sends `head` (request line and headers, CRLF-separated) on a raw socket; resolves with the status code. */
function rawRequest(origin: string, head: string, body = ''): Promise<number> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.end(`${head}\r\nconnection: close\r\n\r\n${body}`),
    );
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

describe('Node adapter: the request target cannot choose the @authority', () => {
  let server: TestServer;
  const outcomes: string[] = [];
  beforeAll(async () => {
    const verifier = createRequestVerifier({ keys: { manager, keyId: 'agent' } });
    server = await serve((req, res) => {
      requestOfIncoming(req, server.origin)
        .then((request) => verifier.verify(request))
        .then(
          () => {
            outcomes.push('accepted');
            res.end();
          },
          (error: { code?: string }) => {
            outcomes.push(error.code ?? 'ERROR');
            res.statusCode = 401;
            res.end();
          },
        );
    });
  });
  afterAll(() => server.close());

  // A request the agent signed for another origin (which the attacker runs, or saw), replayed to us with a
  // request target that names that origin.
  for (const target of ['http://other.example/x', '//other.example/x', '/\\other.example/x']) {
    it(`a request signed for other.example, sent here as "GET ${target}", is refused`, async () => {
      const signed = await signRequest(manager, 'agent', new Request('http://other.example/x'));
      const head = [
        `GET ${target} HTTP/1.1`,
        `host: ${new URL(server.origin).host}`,
        ...[...signed.headers].map(([name, value]) => `${name}: ${value}`),
      ].join('\r\n');
      outcomes.length = 0;
      const status = await rawRequest(server.origin, head);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).not.toBe('accepted');
      expect(['MALFORMED', 'SIGNATURE_INVALID']).toContain(outcomes[0]);
      expect(status).toBe(401);
    });
  }

  it('a GET whose body is not what its covered Content-Digest says is refused (the body would reach the app unchecked)', async () => {
    const { host, hostname, port } = new URL(server.origin);
    const options = await signNodeRequest(
      manager,
      'agent',
      { protocol: 'http:', hostname, port, method: 'GET', path: '/x' },
      'the body that was signed',
    );
    expect(Object.keys(options.headers)).toContain('content-digest');
    const swapped = 'a body the attacker chose';
    const head = [
      'GET /x HTTP/1.1',
      `host: ${host}`,
      `content-length: ${swapped.length}`,
      ...Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`),
    ].join('\r\n');
    outcomes.length = 0;
    expect(await rawRequest(server.origin, head, swapped)).toBe(401);
    expect(outcomes).toEqual(['MALFORMED']);
  });

  it('a body that breaks off is a typed refusal (MALFORMED), not a stream error', async () => {
    const head = ['POST /x HTTP/1.1', `host: ${new URL(server.origin).host}`, 'content-length: 100'].join(
      '\r\n',
    );
    outcomes.length = 0;
    await rawRequest(server.origin, head, 'only ten b');
    await new Promise<void>((resolve) => {
      const wait = () => (outcomes.length > 0 ? resolve() : setImmediate(wait));
      wait();
    });
    expect(outcomes).toEqual(['MALFORMED']);
  });

  it('(positive) the same request signed for this server, sent in origin-form, verifies', async () => {
    const signed = await signRequest(manager, 'agent', new Request(`${server.origin}/x?y=1`));
    const head = [
      'GET /x?y=1 HTTP/1.1',
      `host: ${new URL(server.origin).host}`,
      ...[...signed.headers].map(([name, value]) => `${name}: ${value}`),
    ].join('\r\n');
    outcomes.length = 0;
    expect(await rawRequest(server.origin, head)).toBe(200);
    expect(outcomes).toEqual(['accepted']);
  });
});

describe('Signature-Agent paths of an allowed origin', () => {
  it('cost at most maxDirectoriesPerOrigin fetches, and the well-known directory stays cached', async () => {
    const directory = await serveDirectory(manager);
    const verifier = createRequestVerifier({ directory: loopbackPolicy(directory.origin) });
    try {
      // The agent's own directory is fetched once and verifies.
      const good = () =>
        signRequest(manager, 'agent', new Request('https://api.example/'), { agent: directory.origin });
      await verifier.verify(await good());
      expect(directory.requests).toBe(1);
      // Anyone may send a Signature-Agent naming other paths of the allowed origin: it is read before any
      // signature is checked. 20 distinct paths.
      const codes: string[] = [];
      for (let i = 0; i < 20; i++) {
        const junk = await signRequest(manager, 'agent', new Request('https://api.example/'), {
          agent: `${directory.origin}/junk-${i}`,
        });
        codes.push(
          await verifier.verify(junk).then(
            () => 'accepted',
            (e: { code: string }) => e.code,
          ),
        );
      }
      expect(codes.filter((c) => c === 'accepted')).toHaveLength(0);
      // 4 fetched (404, DIRECTORY_UNAVAILABLE), the other 16 refused without a request.
      expect(directory.requests).toBe(1 + 4);
      expect(codes.filter((c) => c === 'AGENT_REFUSED')).toHaveLength(16);
      // The agent's directory was not pushed out: it verifies with no new fetch.
      await verifier.verify(await good());
      expect(directory.requests).toBe(5);
    } finally {
      verifier.close();
      await directory.close();
    }
  });

  it('maxDirectoriesPerOrigin 0 leaves only the well-known directory', async () => {
    const directory = await serveDirectory(manager);
    const verifier = createRequestVerifier({
      directory: loopbackPolicy(directory.origin, { maxDirectoriesPerOrigin: 0 }),
    });
    try {
      const other = await signRequest(manager, 'agent', new Request('https://api.example/'), {
        agent: `${directory.origin}/other`,
      });
      await expect(verifier.verify(other)).rejects.toMatchObject({ code: 'AGENT_REFUSED' });
      expect(directory.requests).toBe(0);
      const good = await signRequest(manager, 'agent', new Request('https://api.example/'), {
        agent: directory.origin,
      });
      await expect(verifier.verify(good)).resolves.toMatchObject({ keyid: expect.any(String) });
    } finally {
      verifier.close();
      await directory.close();
    }
  });
});

describe('signature parameters', () => {
  it('a nonce over MAX_NONCE_LENGTH is refused before the nonce store keeps it', async () => {
    const nonceStore = createMemoryNonceStore();
    const verifier = createRequestVerifier({ keys: { manager, keyId: 'agent' }, nonceStore, tag: null });
    const long = await signRequest(manager, 'agent', new Request('https://api.example/'), {
      nonce: 'n'.repeat(MAX_NONCE_LENGTH + 1),
    });
    await expect(verifier.verify(long)).rejects.toMatchObject({ code: 'PARAMS_INVALID' });
    expect(nonceStore.size).toBe(0);
    const ok = await signRequest(manager, 'agent', new Request('https://api.example/'), {
      nonce: 'n'.repeat(MAX_NONCE_LENGTH),
    });
    await expect(verifier.verify(ok)).resolves.toMatchObject({ nonce: 'n'.repeat(MAX_NONCE_LENGTH) });
    expect(nonceStore.size).toBe(1);
  });

  it('without expires (requireExpires false), a created older than maxValiditySeconds is EXPIRED', async () => {
    const signedAt = Date.now();
    const request = await signRequest(manager, 'agent', new Request('https://api.example/'), {
      expiresInSeconds: null,
      now: () => signedAt,
    });
    const at = (ms: number) =>
      createRequestVerifier({
        keys: { manager, keyId: 'agent' },
        requireExpires: false,
        maxValiditySeconds: 3600,
        now: () => signedAt + ms,
      });
    await expect(at(3600_000).verify(request.clone())).resolves.toMatchObject({ keyid: expect.any(String) });
    // Two days later the same request would otherwise verify for ever (and a nonce store would have
    // forgotten its nonce already, since it keeps one until created + maxValiditySeconds + skew).
    await expect(at(2 * 86_400_000).verify(request.clone())).rejects.toMatchObject({ code: 'EXPIRED' });
  });
});

describe('Content-Digest', () => {
  it('covered but the message given without its body: DIGEST_MISMATCH, not a pass', async () => {
    const verifier = createRequestVerifier({ keys: { manager, keyId: 'agent' } });
    const url = 'https://api.example/orders';
    const signed = await signRequest(
      manager,
      'agent',
      new Request(url, { method: 'POST', body: '{"qty":1}' }),
    );
    expect(signed.headers.get('signature-input')).toContain('"content-digest"');
    const headers = Object.fromEntries(signed.headers);
    // A verifier wired to verifyMessage that did not read the body: any body would have passed.
    await expect(verifier.verifyMessage(messageOf('POST', new URL(url), headers))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
    // (positive) with the body it verifies.
    const body = new TextEncoder().encode('{"qty":1}');
    await expect(
      verifier.verifyMessage(messageOf('POST', new URL(url), headers, body)),
    ).resolves.toMatchObject({
      keyid: expect.any(String),
    });
  });
});

describe('directory fetch bounds', () => {
  it("the policy's fetch bounds reach the key set factory as set, and unset ones not at all", async () => {
    const received: Record<string, unknown>[] = [];
    const verifier = createRequestVerifier({
      directory: {
        allowedOrigins: ['https://agent.example'],
        timeoutMs: 1234,
        maxKeys: 7,
        negativeTtlMs: 5000,
        keySetFactory: (_url, options) => {
          received.push({ ...options });
          return { getKey: async () => undefined, close() {} };
        },
      },
    });
    const signed = await signRequest(manager, 'agent', new Request('https://api.example/'), {
      agent: 'https://agent.example',
    });
    await expect(verifier.verify(signed)).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });
    verifier.close();
    expect(received).toHaveLength(1);
    const [options] = received as [Record<string, unknown>];
    expect(options).toMatchObject({ timeoutMs: 1234, maxKeys: 7, negativeTtlMs: 5000 });
    for (const unset of ['maxBytes', 'cooldownMs', 'minMaxAgeMs', 'maxMaxAgeMs', 'staleIfErrorMs']) {
      expect(Object.hasOwn(options, unset), unset).toBe(false);
    }
  });
});

describe('authorities', () => {
  it('a request signed for another host (its URL taken from the Host header) is AUTHORITY_REFUSED, nothing fetched', async () => {
    let factoryCalls = 0;
    const verifier = createRequestVerifier({
      authorities: ['api.example', 'API.example:8443'],
      directory: {
        allowedOrigins: ['https://agent.example'],
        keySetFactory: () => {
          factoryCalls++;
          throw new Error('no fetch expected');
        },
      },
    });
    for (const url of [
      'https://other.example/',
      'https://api.example.other.example:8443/',
      'https://api.example:444/',
    ]) {
      const signed = await signRequest(manager, 'agent', new Request(url), {
        agent: 'https://agent.example',
      });
      await expect(verifier.verify(signed)).rejects.toMatchObject({ code: 'AUTHORITY_REFUSED' });
    }
    expect(factoryCalls).toBe(0);
    verifier.close();
    // (positive) the listed authorities verify, default port omitted, case folded.
    const local = createRequestVerifier({
      keys: { manager, keyId: 'agent' },
      authorities: ['API.example', 'api.example:8443'],
    });
    for (const url of ['https://api.example/', 'https://api.example:443/', 'https://api.example:8443/x']) {
      await expect(
        local.verify(await signRequest(manager, 'agent', new Request(url))),
      ).resolves.toMatchObject({
        keyid: expect.any(String),
      });
    }
  });

  it('authorities that are not a list of strings: INVALID_ARGUMENT', () => {
    expect(() =>
      createRequestVerifier({ keys: { manager, keyId: 'agent' }, authorities: 'api.example' as never }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('directory handler with signResponse', () => {
  it('20 anonymous GETs cost one signing, not 20 (signing may be a Transit or KMS call)', async () => {
    let signings = 0;
    const counting = new Proxy(manager, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name !== 'signDetailed') return typeof value === 'function' ? value.bind(target) : value;
        return (...args: Parameters<KeyManager['signDetailed']>) => {
          signings++;
          return target.signDetailed(...args);
        };
      },
    });
    let origin = '';
    const handler = createDirectoryHandler(counting, { keyIds: ['agent'], signResponse: true });
    const server = await serve((req, res) => toNodeListener(handler, origin)(req, res));
    origin = server.origin;
    try {
      const url = `${origin}/.well-known/http-message-signatures-directory`;
      const inputs = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const response = await fetch(url);
        expect(response.status).toBe(200);
        inputs.add(response.headers.get('signature-input') ?? '');
        await response.arrayBuffer();
      }
      expect(signings).toBe(1);
      expect(inputs.size).toBe(1);
      // The reused signature is one a verifier requiring signed directories accepts.
      const verifier = createRequestVerifier({
        directory: loopbackPolicy(origin, { requireSignedDirectory: true }),
      });
      const request = await signRequest(manager, 'agent', new Request('https://api.example/'), {
        agent: origin,
      });
      await expect(verifier.verify(request)).resolves.toMatchObject({ keyid: expect.any(String) });
      verifier.close();
    } finally {
      await server.close();
    }
  });
});

describe('error messages', () => {
  it('do not echo a covered component name or parameter the sender chose, and every one is a typed refusal', async () => {
    const verifier = createRequestVerifier({ keys: { manager, keyId: 'agent' }, tag: null });
    const t = Math.floor(Date.now() / 1000);
    const chosen = ['x'.repeat(3000), 'x [phlow] [audit] valid=true', 'ok;fake=1'];
    for (const name of chosen) {
      for (const component of [`"${name}"`, `"@authority";${'p'.repeat(3000)}`]) {
        const headers = new Headers({
          'signature-input': `sig1=("@authority" ${component});created=${t};expires=${t + 60};keyid="k"`,
          signature: 'sig1=:AA==:',
        });
        const error = (await verifier
          .verify(new Request('https://api.example/', { headers }))
          .catch((e) => e)) as {
          code: string;
          message: string;
        };
        expect(['COMPONENT_MISSING', 'MALFORMED']).toContain(error.code);
        expect(error.message).not.toContain(name);
        expect(error.message).not.toContain('ppppp');
        expect(error.message.length).toBeLessThan(200);
      }
    }
  });
});

describe('covered field values', () => {
  it('a no-break space added around a covered value after signing breaks the signature (RFC 9421 strips SP and HTAB only)', async () => {
    const verifier = createRequestVerifier({ keys: { manager, keyId: 'agent' }, tag: null });
    const signed = await signRequest(
      manager,
      'agent',
      new Request('https://api.example/', { headers: { 'x-action': 'buy' } }),
      { components: ['@authority', 'x-action'] },
    );
    await expect(verifier.verify(signed.clone())).resolves.toMatchObject({ keyid: expect.any(String) });
    for (const changed of ['\u00a0buy', 'buy\u00a0']) {
      const headers = new Headers(signed.headers);
      headers.set('x-action', changed);
      await expect(verifier.verify(new Request(signed.url, { headers }))).rejects.toMatchObject({
        code: 'SIGNATURE_INVALID',
      });
    }
  });
});

describe('directory key sets under concurrency', () => {
  it('20 concurrent requests naming a new directory make one key set and one fetch (no orphan sets)', async () => {
    const directory = await serveDirectory(manager);
    const verifier = createRequestVerifier({ directory: loopbackPolicy(directory.origin) });
    try {
      const requests = await Promise.all(
        Array.from({ length: 20 }, () =>
          signRequest(manager, 'agent', new Request('https://api.example/'), { agent: directory.origin }),
        ),
      );
      const results = await Promise.all(requests.map((r) => verifier.verify(r)));
      expect(results).toHaveLength(20);
      expect(directory.requests).toBe(1);
    } finally {
      verifier.close();
      await directory.close();
    }
  });
});

describe('directory URLs', () => {
  it('Signature-Agent URLs that differ only in a fragment are one directory: one fetch', async () => {
    const directory = await serveDirectory(manager);
    const verifier = createRequestVerifier({ directory: loopbackPolicy(directory.origin) });
    try {
      const wellKnown = `${directory.origin}/.well-known/http-message-signatures-directory`;
      for (let i = 0; i < 5; i++) {
        const request = await signRequest(manager, 'agent', new Request('https://api.example/'), {
          agent: `${wellKnown}#${i}`,
        });
        await expect(verifier.verify(request)).resolves.toMatchObject({ directory: wellKnown });
      }
      expect(directory.requests).toBe(1);
    } finally {
      verifier.close();
      await directory.close();
    }
  });
});

describe('nonce store window', () => {
  it('a replay in the last second the signature is accepted is still REPLAYED', async () => {
    const created = Math.floor(Date.now() / 1000);
    const request = await signRequest(manager, 'agent', new Request('https://api.example/'), {
      now: () => created * 1000,
      expiresInSeconds: 60,
    });
    // expires + skew, half a second in: the time checks still accept the signature.
    const at = (created + 60 + 60) * 1000 + 500;
    const nonceStore = createMemoryNonceStore({ now: () => at });
    const verifier = createRequestVerifier({
      keys: { manager, keyId: 'agent' },
      nonceStore,
      tag: null,
      now: () => at,
    });
    await expect(verifier.verify(request.clone())).resolves.toMatchObject({ keyid: expect.any(String) });
    await expect(verifier.verify(request.clone())).rejects.toMatchObject({ code: 'REPLAYED' });
  });
});

describe('signature base work', () => {
  it('a field named by 64 key parameters is read and parsed once, not 64 times', async () => {
    const verifier = createRequestVerifier({ keys: { manager, keyId: 'agent' }, tag: null });
    const t = Math.floor(Date.now() / 1000);
    const members = Array.from({ length: 64 }, (_, i) => `k${i}=${'a'.repeat(120)}`).join(', ');
    const components = Array.from({ length: 64 }, (_, i) => `"x";key="k${i}"`).join(' ');
    const signatureInput = `sig1=("@authority" ${components});created=${t};expires=${t + 60};keyid="k"`;
    const reads = new Map<string, number>();
    const fields: Record<string, string> = {
      x: members,
      'signature-input': signatureInput,
      signature: 'sig1=:AA==:',
    };
    const message = {
      method: 'GET',
      url: new URL('https://api.example/'),
      header(name: string) {
        reads.set(name, (reads.get(name) ?? 0) + 1);
        return fields[name];
      },
    };
    // Refused (no such key) only after the signature base was built: every component was resolved.
    await expect(verifier.verifyMessage(message)).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });
    expect(reads.get('x')).toBe(1);
  });
});

describe('verifier options', () => {
  it('a NaN, negative or fractional bound is INVALID_ARGUMENT, not a check turned off', async () => {
    for (const bad of [
      { skewSeconds: Number.NaN },
      { skewSeconds: -1 },
      { maxValiditySeconds: Number.NaN },
      { maxValiditySeconds: 0.5 },
      { maxBodyBytes: Number.NaN },
      { maxBodyBytes: -1 },
    ]) {
      expect(
        () => createRequestVerifier({ keys: { manager, keyId: 'agent' }, ...bad }),
        JSON.stringify(bad),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    // (positive) with the defaults an expired signature is refused (with skewSeconds NaN it was accepted).
    const old = await signRequest(manager, 'agent', new Request('https://api.example/'), {
      now: () => Date.now() - 86_400_000,
      expiresInSeconds: 60,
    });
    const strict = createRequestVerifier({ keys: { manager, keyId: 'agent' }, tag: null });
    await expect(strict.verify(old)).rejects.toMatchObject({ code: 'EXPIRED' });
  });

  it('requestOfIncoming with a NaN maxBodyBytes is INVALID_ARGUMENT', async () => {
    const fake = { rawHeaders: [], method: 'POST', url: '/', [Symbol.asyncIterator]: async function* () {} };
    await expect(requestOfIncoming(fake as never, 'https://api.example', Number.NaN)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('memory nonce store options', () => {
  it('a NaN or zero maxEntries is INVALID_ARGUMENT (NaN was no bound at all)', () => {
    for (const maxEntries of [Number.NaN, 0, 1.5]) {
      expect(() => createMemoryNonceStore({ maxEntries })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    const store = createMemoryNonceStore({ maxEntries: 1 });
    expect(store.remember('a', Date.now() + 60_000)).toBe(true);
    expect(() => store.remember('b', Date.now() + 60_000)).toThrow();
  });
});
