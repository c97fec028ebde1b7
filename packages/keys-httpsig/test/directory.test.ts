// The directory handler: media type, Cache-Control, ETag/304, nbf/exp from the rotation timeline, and the
// optional response signature (checked with our own signature base and the published key).
import { randomBytes } from 'node:crypto';
import { createMemoryKeyStore, jwkThumbprint, KeyManager } from '@phlow/keys-core';
import { expectIfNoneMatchRule } from '@phlow/test-support/if-none-match';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDirectorySignature, createDirectoryHandler } from '../src/index.js';

const managers: KeyManager[] = [];
afterAll(async () => {
  for (const m of managers) await m.close();
});
const URL_ = 'https://agent.example/.well-known/http-message-signatures-directory';

describe('directory handler', () => {
  it("answers If-None-Match by keys-jwt's one rule: *, a list, W/ match; other tags do not", async () => {
    const manager = new KeyManager({ store: createMemoryKeyStore() });
    managers.push(manager);
    await manager.generateKeyPair('agent');
    const handler = createDirectoryHandler(manager, { keyIds: ['agent'] });
    const etag = await expectIfNoneMatchRule(handler, URL_);
    const get = (header: string) => handler(new Request(URL_, { headers: { 'if-none-match': header } }));
    // A new key changes the document, so the ETag.
    await manager.rotateKeyPair('agent');
    const next = await get(etag);
    expect(next.status).toBe(200);
    expect(next.headers.get('etag')).not.toBe(etag);
  });

  it('serves the JWK Set with the media type, Cache-Control and a strong ETag; 304 on If-None-Match', async () => {
    const manager = new KeyManager({ store: createMemoryKeyStore() });
    managers.push(manager);
    await manager.generateKeyPair('agent');
    const handler = createDirectoryHandler(manager, { keyIds: ['agent'], maxAgeSeconds: 120 });
    const res = await handler(new Request(URL_));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/http-message-signatures-directory+json');
    expect(res.headers.get('cache-control')).toBe('max-age=120');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    const doc = (await res.json()) as { keys: { kid: string; nbf?: number; d?: string }[] };
    expect(doc.keys).toHaveLength(1);
    expect(doc.keys[0]!.kid).toBe((await manager.getPublicKeyPair('agent')).kid);
    expect(doc.keys[0]!.d).toBeUndefined();
    const again = await handler(new Request(URL_, { headers: { 'if-none-match': etag } }));
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await handler(new Request('https://agent.example/other'))).status).toBe(404);
    expect((await handler(new Request(URL_, { method: 'POST' }))).status).toBe(405);
  });

  it('staged rotation: the new key is published (nbf = written) before it signs; the old one gets exp = takeover + grace', async () => {
    let t = Date.now(); // the memory store stamps versions with the real clock
    const manager = new KeyManager({
      store: createMemoryKeyStore(),
      now: () => t,
      rotationDelayMs: 600_000,
      rotationGracePeriodMs: 3_600_000,
    });
    managers.push(manager);
    await manager.generateKeyPair('agent');
    const old = (await manager.getPublicKeyPair('agent')).kid;
    const handler = createDirectoryHandler(manager, { keyIds: ['agent'] });
    t += 1000;
    await manager.rotateKeyPair('agent');
    const doc = (await (await handler(new Request(URL_))).json()) as {
      keys: { kid: string; nbf?: number; exp?: number }[];
    };
    expect(doc.keys.map((k) => k.kid)[1]).toBe(old);
    const [next, prev] = doc.keys;
    expect((await manager.getPublicKeyPair('agent')).kid).toBe(old); // still signing with the old key
    expect(next!.exp).toBeUndefined();
    expect(next!.nbf).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) - 60);
    expect(next!.nbf).toBeGreaterThanOrEqual(Math.floor((t - 5000) / 1000) - 60);
    // The old key stops verifying at activation (t + 600 s) + grace (3600 s).
    expect(prev!.exp).toBeGreaterThanOrEqual(Math.floor((t + 600_000 + 3_600_000) / 1000));
    expect(prev!.exp).toBeLessThanOrEqual(Math.floor((t + 600_000 + 3_600_000) / 1000) + 1);
    // Emergency rotation with revokePrevious: only the new key is published.
    t += 1000;
    await manager.rotateKeyPair('agent', { revokePrevious: true });
    const after = (await (await handler(new Request(URL_))).json()) as { keys: { kid: string }[] };
    expect(after.keys).toHaveLength(1);
    expect(after.keys[0]!.kid).toBe((await manager.getPublicKeyPair('agent')).kid);
  });

  it('signs the response with tag http-message-signatures-directory, verifiable with the published key', async () => {
    const manager = new KeyManager({ store: createMemoryKeyStore() });
    managers.push(manager);
    await manager.generateKeyPair('agent');
    const handler = createDirectoryHandler(manager, { keyIds: ['agent'], signResponse: true });
    const res = await handler(new Request(URL_));
    const input = res.headers.get('signature-input')!;
    expect(input).toMatch(
      /^sig1=\("@authority";req\);alg="ed25519";created=\d+;expires=\d+;keyid="[\w-]{43}";tag="http-message-signatures-directory"$/,
    );
    const body = new Uint8Array(await res.arrayBuffer());
    expect(() => checkDirectorySignature(URL_, { headers: res.headers, body }, Date.now())).not.toThrow();
    // The same response, presented as another origin's directory (copied there), is refused.
    expect(() =>
      checkDirectorySignature(
        'https://evil.example/.well-known/http-message-signatures-directory',
        { headers: res.headers, body },
        Date.now(),
      ),
    ).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
    // Unsigned: refused when the policy requires a signature.
    expect(() => checkDirectorySignature(URL_, { headers: new Headers(), body }, Date.now())).toThrow(
      expect.objectContaining({ code: 'MISSING_SIGNATURE' }),
    );
    // A signature whose key is not in the body does not count.
    const other = new TextEncoder().encode('{"keys":[]}');
    expect(() => checkDirectorySignature(URL_, { headers: res.headers, body: other }, Date.now())).toThrow(
      expect.objectContaining({ code: 'MISSING_SIGNATURE' }),
    );
  });

  it("reads the body as keys-jwt's remote key set does: strict JSON, and its one JWK check (RSA cost bounds) before any verification", async () => {
    const manager = new KeyManager({ store: createMemoryKeyStore() });
    managers.push(manager);
    await manager.generateKeyPair('agent');
    const handler = createDirectoryHandler(manager, { keyIds: ['agent'], signResponse: true });
    const res = await handler(new Request(URL_));
    const jwk = (JSON.parse(await res.text()) as { keys: unknown[] }).keys[0];
    const check =
      (body: string, headers = res.headers) =>
      () =>
        checkDirectorySignature(URL_, { headers, body: new TextEncoder().encode(body) }, Date.now());
    expect(check(JSON.stringify({ keys: [jwk] }))).not.toThrow();
    // "keys" twice: JSON.parse would keep the last (the signing key); refused, as keys-jwt refuses such a set.
    expect(check(`{"keys":[],"keys":[${JSON.stringify(jwk)}]}`)).toThrow(
      expect.objectContaining({ code: 'MALFORMED' }),
    );
    // An RSA key of 16384 bits (over MAX_REMOTE_RSA_BITS) that a signature names: skipped as the remote key set
    // skips it, so no verification with it is attempted (MISSING_SIGNATURE, not SIGNATURE_INVALID).
    const n = randomBytes(2048);
    n[0]! |= 0x80;
    n[n.length - 1]! |= 1;
    const costly = { kty: 'RSA', n: n.toString('base64url'), e: 'AQAB' };
    const kid = jwkThumbprint(costly);
    const created = Math.floor(Date.now() / 1000);
    const headers = new Headers({
      'signature-input': `sig1=("@authority";req);alg="rsa-v1_5-sha256";created=${created};expires=${created + 60};keyid="${kid}";tag="http-message-signatures-directory"`,
      signature: `sig1=:${randomBytes(2048).toString('base64')}:`,
    });
    expect(check(JSON.stringify({ keys: [{ ...costly, kid }] }), headers)).toThrow(
      expect.objectContaining({ code: 'MISSING_SIGNATURE' }),
    );
  });
});
