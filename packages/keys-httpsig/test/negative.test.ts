// The negative table of issue 23: each row is a request a verifier fetching the agent's directory over HTTP
// must refuse, with the code that says why. Real HTTP servers on loopback; the directory fetch is keys-jwt's
// createRemoteKeySet (the default key set factory).
import { createHmac } from 'node:crypto';
import type { KeyManager } from '@phlow/keys-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRequestVerifier,
  type HttpSigErrorCode,
  type RequestVerifier,
  signRequest,
} from '../src/index.js';
import { agentManager, loopbackPolicy, serve, serveDirectory, type TestServer } from './helpers.js';

let manager: KeyManager;
let directory: TestServer;
let verifier: RequestVerifier;
const now = () => Date.now();

const COMPONENTS = [
  '@method',
  '@authority',
  '@path',
  'x-action',
  'content-digest',
  { name: 'signature-agent', key: 'sig1' },
] as const;

async function signed(init: RequestInit & { url?: string } = {}, options: Record<string, unknown> = {}) {
  const request = new Request(init.url ?? 'https://api.example/orders?x=1', {
    method: 'POST',
    headers: { 'x-action': 'buy', 'content-type': 'application/json' },
    body: '{"qty":1}',
    ...init,
  });
  return signRequest(manager, 'agent', request, {
    agent: directory.origin,
    components: [...COMPONENTS],
    ...options,
  });
}

/** A copy of `request` with changes to its method, URL, headers or body (the signature headers kept). */
async function tampered(
  request: Request,
  change: { method?: string; url?: string; headers?: Record<string, string>; body?: string },
) {
  const headers = new Headers(request.headers);
  for (const [k, v] of Object.entries(change.headers ?? {})) headers.set(k, v);
  const method = change.method ?? request.method;
  return new Request(change.url ?? request.url, {
    method,
    headers,
    ...(method === 'GET' ? {} : { body: change.body ?? (await request.clone().text()) }),
  });
}

async function refusal(request: Request, v: RequestVerifier = verifier): Promise<HttpSigErrorCode> {
  return (await refused(request, v)).code;
}

/** The error a refused request gets (its `cause` is keys-jwt's RemoteKeySetError for directory failures). */
async function refused(
  request: Request,
  v: RequestVerifier = verifier,
): Promise<{ code: HttpSigErrorCode; cause?: { code?: string } }> {
  try {
    await v.verify(request);
  } catch (error) {
    return error as { code: HttpSigErrorCode; cause?: { code?: string } };
  }
  throw new Error('the request was accepted');
}

beforeAll(async () => {
  manager = await agentManager();
  directory = await serveDirectory(manager);
  verifier = createRequestVerifier({ directory: loopbackPolicy(directory.origin), now });
});
afterAll(async () => {
  verifier.close();
  await directory.close();
  await manager.close();
});

describe('negative table', () => {
  it('the untampered request verifies (the table is not refusing everything)', async () => {
    const result = await verifier.verify(await signed());
    expect(result.directory).toBe(`${directory.origin}/.well-known/http-message-signatures-directory`);
    expect(result.alg).toBe('EdDSA');
  });

  it('tampered method', async () => {
    expect(await refusal(await tampered(await signed(), { method: 'PUT' }))).toBe('SIGNATURE_INVALID');
  });
  it('tampered authority', async () => {
    expect(await refusal(await tampered(await signed(), { url: 'https://evil.example/orders?x=1' }))).toBe(
      'SIGNATURE_INVALID',
    );
  });
  it('tampered path', async () => {
    expect(await refusal(await tampered(await signed(), { url: 'https://api.example/admin?x=1' }))).toBe(
      'SIGNATURE_INVALID',
    );
  });
  it('tampered covered header', async () => {
    expect(await refusal(await tampered(await signed(), { headers: { 'x-action': 'sell' } }))).toBe(
      'SIGNATURE_INVALID',
    );
  });
  it('tampered body (Content-Digest no longer matches)', async () => {
    expect(await refusal(await tampered(await signed(), { body: '{"qty":9}' }))).toBe('DIGEST_MISMATCH');
  });
  it('tampered body with a recomputed Content-Digest', async () => {
    const { contentDigest } = await import('../src/index.js');
    const body = '{"qty":9}';
    const request = await tampered(await signed(), {
      body,
      headers: { 'content-digest': contentDigest(new TextEncoder().encode(body)) },
    });
    expect(await refusal(request)).toBe('SIGNATURE_INVALID');
  });
  it('expired', async () => {
    const request = await signed({}, { now: () => Date.now() - 3_600_000, expiresInSeconds: 60 });
    expect(await refusal(request)).toBe('EXPIRED');
  });
  it('created in the future (beyond the 60 s skew)', async () => {
    const request = await signed({}, { now: () => Date.now() + 600_000 });
    expect(await refusal(request)).toBe('NOT_YET_VALID');
  });
  it('missing tag', async () => {
    expect(await refusal(await signed({}, { tag: null }))).toBe('TAG_MISMATCH');
  });
  it('keyid not in the directory', async () => {
    const request = await signed({}, { keyid: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(await refusal(request)).toBe('KEY_UNKNOWN');
  });
  it('an HMAC algorithm', async () => {
    const request = await signed();
    const input = request.headers.get('signature-input')!.replace('alg="ed25519"', 'alg="hmac-sha256"');
    const mac = createHmac('sha256', 'shared').update('x').digest('base64');
    expect(
      await refusal(
        await tampered(request, { headers: { 'signature-input': input, signature: `sig1=:${mac}:` } }),
      ),
    ).toBe('ALG_REFUSED');
  });
  it('duplicate signature labels', async () => {
    const request = await signed();
    const input = request.headers.get('signature-input')!;
    const sig = request.headers.get('signature')!;
    const dup = await tampered(request, {
      headers: { 'signature-input': `${input}, ${input}`, signature: `${sig}, ${sig}` },
    });
    expect(await refusal(dup)).toBe('DUPLICATE_LABEL');
    // Also across two header lines.
    const headers = new Headers(request.headers);
    headers.append('signature-input', input);
    headers.append('signature', sig);
    expect(await refusal(new Request(request.url, { method: 'POST', headers, body: '{"qty":1}' }))).toBe(
      'DUPLICATE_LABEL',
    );
  });
  it('replay within the window, given a nonce store', async () => {
    const { createMemoryNonceStore } = await import('../src/index.js');
    const v = createRequestVerifier({
      directory: loopbackPolicy(directory.origin),
      nonceStore: createMemoryNonceStore(),
    });
    const request = await signed();
    await v.verify(request.clone());
    expect(await refusal(request, v)).toBe('REPLAYED');
    expect(await refusal(await signed({}, { nonce: false }), v)).toBe('REPLAYED');
    v.close();
  });

  it('Signature-Agent outside the policy: refused, and the named server receives 0 requests', async () => {
    const other = await serveDirectory(manager);
    try {
      const request = await signRequest(manager, 'agent', new Request('https://api.example/'), {
        agent: other.origin,
      });
      expect(await refusal(request)).toBe('AGENT_REFUSED');
      // https only, even for an allowed origin, unless insecure loopback is allowed.
      const strict = createRequestVerifier({ directory: { allowedOrigins: [other.origin] } });
      expect(await refusal(request, strict)).toBe('AGENT_REFUSED');
      strict.close();
      expect(other.requests).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('a redirecting directory is not followed', async () => {
    const target = await serveDirectory(manager);
    const redirecting = await serve((_req, res) => {
      res
        .writeHead(302, { location: `${target.origin}/.well-known/http-message-signatures-directory` })
        .end();
    });
    try {
      const v = createRequestVerifier({ directory: loopbackPolicy(redirecting.origin) });
      const request = await signRequest(manager, 'agent', new Request('https://api.example/'), {
        agent: redirecting.origin,
      });
      const error = await refused(request, v);
      expect(error.code).toBe('DIRECTORY_UNAVAILABLE');
      expect(error.cause?.code).toBe('REDIRECT_REFUSED');
      expect(redirecting.requests).toBeGreaterThan(0);
      expect(target.requests).toBe(0);
      v.close();
    } finally {
      await redirecting.close();
      await target.close();
    }
  });

  it('a 10 MB directory is refused', async () => {
    const jwk = (await manager.jwks(['agent'])).keys[0];
    const padding = 'x'.repeat(10 * 1024 * 1024);
    const big = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/http-message-signatures-directory+json' });
      res.end(JSON.stringify({ keys: [jwk], padding }));
    });
    try {
      const v = createRequestVerifier({ directory: loopbackPolicy(big.origin) });
      const request = await signRequest(manager, 'agent', new Request('https://api.example/'), {
        agent: big.origin,
      });
      const error = await refused(request, v);
      expect(error.code).toBe('DIRECTORY_UNAVAILABLE');
      expect(error.cause?.code).toBe('TOO_LARGE');
      v.close();
    } finally {
      await big.close();
    }
  });

  it('a directory of 10,000 keys is refused', async () => {
    const jwk = (await manager.jwks(['agent'])).keys[0];
    const many = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/http-message-signatures-directory+json' });
      res.end(JSON.stringify({ keys: Array.from({ length: 10_000 }, () => jwk) }));
    });
    try {
      const v = createRequestVerifier({
        directory: loopbackPolicy(many.origin, { maxBytes: 4 * 1024 * 1024 }),
      });
      const request = await signRequest(manager, 'agent', new Request('https://api.example/'), {
        agent: many.origin,
      });
      const error = await refused(request, v);
      expect(error.code).toBe('DIRECTORY_UNAVAILABLE');
      expect(error.cause?.code).toBe('TOO_MANY_KEYS');
      v.close();
    } finally {
      await many.close();
    }
  });

  it('a directory without a response signature, when the policy requires one', async () => {
    const v = createRequestVerifier({
      directory: loopbackPolicy(directory.origin, { requireSignedDirectory: true }),
    });
    const error = await refused(await signed(), v);
    expect(error.code).toBe('DIRECTORY_UNAVAILABLE');
    expect(error.cause?.code).toBe('BAD_RESPONSE');
    v.close();
    // A signed directory passes the same policy.
    const { createDirectoryHandler, toNodeListener } = await import('../src/index.js');
    let origin = '';
    const signedDirectory = await serve((req, res) =>
      toNodeListener(createDirectoryHandler(manager, { keyIds: ['agent'], signResponse: true }), origin)(
        req,
        res,
      ),
    );
    origin = signedDirectory.origin;
    try {
      const strict = createRequestVerifier({
        directory: loopbackPolicy(origin, { requireSignedDirectory: true }),
      });
      const request = await signRequest(manager, 'agent', new Request('https://api.example/'), {
        agent: origin,
      });
      expect((await strict.verify(request)).directory).toBe(
        `${origin}/.well-known/http-message-signatures-directory`,
      );
      strict.close();
    } finally {
      await signedDirectory.close();
    }
  });

  it('a body that is not covered by content-digest is refused', async () => {
    const request = await signed(
      {},
      { components: ['@authority', { name: 'signature-agent', key: 'sig1' }] },
    );
    expect(await refusal(request)).toBe('COMPONENT_MISSING');
  });

  it('one audit event per verification in directory mode, the refused keyid not recorded', async () => {
    const { createMemoryKeyStore, KeyManager } = await import('@phlow/keys-core');
    const events: { operation?: string; valid?: boolean; errorCode?: string; kid?: string }[] = [];
    const auditor = new KeyManager({
      store: createMemoryKeyStore(),
      onEvent: (e) => events.push(e as never),
    });
    const v = createRequestVerifier({ directory: loopbackPolicy(directory.origin), audit: auditor });
    await v.verify(await signed());
    await refusal(await tampered(await signed(), { method: 'PUT' }), v);
    await refusal(await signed({}, { keyid: 'forged-keyid-xyz' }), v);
    const verifies = events.filter((e) => e.operation === 'verify');
    expect(verifies.map((e) => [e.valid, e.errorCode])).toEqual([
      [true, undefined],
      [false, 'SIGNATURE_INVALID'],
      [false, 'KEY_UNKNOWN'],
    ]);
    expect(verifies[0]!.kid).toBe((await manager.getPublicKeyPair('agent')).kid);
    expect(JSON.stringify(verifies)).not.toContain('forged-keyid-xyz');
    v.close();
    await auditor.close();
  });

  it('(positive) ES256 and RS256 keys through a directory named with type=jwks_uri', async () => {
    const { createMemoryKeyStore, KeyManager } = await import('@phlow/keys-core');
    const other = new KeyManager({ store: createMemoryKeyStore() });
    await other.generateKeyPair('p256', { algorithm: 'ES256' });
    await other.generateKeyPair('rsa', { algorithm: 'RS256' });
    const served = await serveDirectory(other, ['p256', 'rsa']);
    try {
      const jwksUri = `${served.origin}/.well-known/http-message-signatures-directory`;
      const v = createRequestVerifier({ directory: loopbackPolicy(served.origin) });
      for (const id of ['p256', 'rsa']) {
        const request = await signRequest(other, id, new Request('https://api.example/'), {
          agent: jwksUri,
          agentType: 'jwks_uri',
        });
        expect(request.headers.get('signature-agent')).toBe(`sig1="${jwksUri}";type=jwks_uri`);
        expect((await v.verify(request)).alg).toBe(id === 'rsa' ? 'RS256' : 'ES256');
      }
      v.close();
    } finally {
      await served.close();
      await other.close();
    }
  });

  it('no signature at all', async () => {
    expect(await refusal(new Request('https://api.example/'))).toBe('MISSING_SIGNATURE');
  });
});
