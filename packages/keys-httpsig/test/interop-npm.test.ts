// Interoperability both ways with implementations no one here wrote, installed from npm as devDependencies:
// `http-message-sig` 0.3.0 (RFC 9421, cloudflare/web-bot-auth) and `web-bot-auth` 0.1.3 (the profile).
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { component, createSignature, verifySignature, webcrypto } from 'http-message-sig';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeaders, verify as wbaVerify } from 'web-bot-auth';
import { Ed25519Signer, verifierFromJWK } from 'web-bot-auth/crypto';
import { createRequestVerifier, signRequest } from '../src/index.js';
import { loopbackPolicy, serveDirectory } from './helpers.js';

let manager: KeyManager;
let publicJwk: JsonWebKey & { kid: string };
beforeAll(async () => {
  manager = new KeyManager({ store: createMemoryKeyStore() });
  await manager.generateKeyPair('agent');
  publicJwk = (await manager.jwks(['agent'])).keys[0] as never;
});
afterAll(() => manager.close());

const importPublic = (jwk: JsonWebKey) =>
  crypto.subtle.importKey(
    'jwk',
    { kty: jwk.kty, crv: jwk.crv, x: jwk.x } as JsonWebKey,
    { name: 'Ed25519' },
    true,
    ['verify'],
  );

describe('requests we sign verify with theirs', () => {
  it('http-message-sig 0.3.0 verifies our Web Bot Auth request (Signature-Agent member, Content-Digest)', async () => {
    const signed = await signRequest(
      manager,
      'agent',
      new Request('https://api.example/orders', { method: 'POST', body: '{"qty":1}' }),
      { agent: 'https://agent.example' },
    );
    const key = await importPublic(publicJwk);
    const verified = await verifySignature(signed, {
      policy: {
        algorithms: ['ed25519'],
        requiredComponents: ['@authority', component('signature-agent', { key: 'sig1' }), 'content-digest'],
        requiredParameters: ['created', 'expires', 'keyid', 'tag', 'nonce'],
      },
      resolveVerifier: (candidate) => {
        expect(candidate.parameters.keyid).toBe(publicJwk.kid);
        return webcrypto.verifier(key);
      },
    });
    expect(verified.parameters.tag).toBe('web-bot-auth');
    // And it refuses a tampered authority (the comparison above can fail).
    const moved = new Request('https://evil.example/orders', {
      method: 'POST',
      headers: signed.headers,
      body: '{"qty":1}',
    });
    await expect(
      verifySignature(moved, {
        policy: {
          algorithms: ['ed25519'],
          requiredComponents: ['@authority'],
          requiredParameters: ['created'],
        },
        resolveVerifier: () => webcrypto.verifier(key),
      }),
    ).rejects.toThrow();
  });

  it('web-bot-auth 0.1.3 verifies our request', async () => {
    const signed = await signRequest(manager, 'agent', new Request('https://api.example/'), {
      agent: 'https://agent.example',
      // web-bot-auth 0.1.3 covers the whole signature-agent field (no `;key=`), as the draft it follows did.
      components: ['@authority', 'signature-agent'],
    });
    const verifier = await verifierFromJWK(publicJwk);
    await expect(wbaVerify(signed, verifier)).resolves.toBeUndefined();
    const moved = new Request('https://evil.example/', { headers: signed.headers });
    await expect(wbaVerify(moved, verifier)).rejects.toThrow();
  });
});

describe('requests they sign verify with ours (their key stored in our KeyManager, published as our directory)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  let theirs: KeyManager;
  let kid: string;
  beforeAll(async () => {
    theirs = new KeyManager({ store: createMemoryKeyStore() });
    await theirs.storeKeyPair(
      'peer',
      privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      publicKey.export({ type: 'spki', format: 'pem' }) as string,
    );
    kid = (await theirs.jwks(['peer'])).keys[0]!.kid;
  });
  afterAll(() => theirs.close());

  /** A GET of https://api.example/path that web-bot-auth 0.1.3 signs with the peer key, naming `agent`. */
  async function signedByWebBotAuth(agent: string): Promise<Request> {
    const signer = await Ed25519Signer.fromJWK({
      ...privateKey.export({ format: 'jwk' }),
      kid,
    } as JsonWebKey);
    const now = new Date();
    const request = new Request('https://api.example/path', { headers: { 'signature-agent': `"${agent}"` } });
    const headers = await signatureHeaders(request, signer, {
      created: now,
      expires: new Date(now.getTime() + 60_000),
    });
    return new Request(request.url, {
      headers: {
        ...Object.fromEntries(request.headers),
        'signature-input': headers['Signature-Input'],
        signature: headers.Signature,
      },
    });
  }

  it('web-bot-auth 0.1.3 signs; our verifier accepts it, and refuses it tampered', async () => {
    const signed = await signedByWebBotAuth('https://peer.example');
    const verifier = createRequestVerifier({ keys: { manager: theirs, keyId: 'peer' } });
    const result = await verifier.verify(signed);
    expect(result.keyid).toBe(kid);
    expect(result.tag).toBe('web-bot-auth');
    const moved = new Request('https://evil.example/path', { headers: signed.headers });
    await expect(verifier.verify(moved)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('web-bot-auth 0.1.3 signs with Signature-Agent naming our directory server; our verifier fetches it and accepts', async () => {
    const directory = await serveDirectory(theirs, ['peer']);
    try {
      const signed = await signedByWebBotAuth(directory.origin);
      const verifier = createRequestVerifier({ directory: loopbackPolicy(directory.origin) });
      const result = await verifier.verify(signed);
      expect(result).toMatchObject({ keyid: kid, agent: directory.origin });
      expect(directory.requests).toBeGreaterThan(0);
      // Signature-Agent swapped for another origin: covered, so the signature no longer verifies, and no
      // fetch happens for an origin outside the policy.
      const swapped = new Headers(signed.headers);
      swapped.set('signature-agent', '"https://elsewhere.example"');
      await expect(verifier.verify(new Request(signed.url, { headers: swapped }))).rejects.toMatchObject({
        code: 'AGENT_REFUSED',
      });
      verifier.close();
    } finally {
      await directory.close();
    }
  });

  it('http-message-sig 0.3.0 signs; our verifier accepts it', async () => {
    const key = await crypto.subtle.importKey(
      'jwk',
      privateKey.export({ format: 'jwk' }) as JsonWebKey,
      { name: 'Ed25519' },
      false,
      ['sign'],
    );
    const created = Math.floor(Date.now() / 1000);
    const request = new Request('https://api.example/x', {
      method: 'POST',
      headers: { 'signature-agent': 'sig1="https://peer.example"' },
    });
    const fields = await createSignature(request, {
      label: 'sig1',
      components: ['@method', '@authority', component('signature-agent', { key: 'sig1' })],
      parameters: { created, expires: created + 60, keyid: kid, alg: 'ed25519', tag: 'web-bot-auth' },
      signer: webcrypto.signer(key),
    });
    const signed = new Request(request.url, {
      method: 'POST',
      headers: {
        ...Object.fromEntries(request.headers),
        'signature-input': fields.signatureInput,
        signature: fields.signature,
      },
    });
    const verifier = createRequestVerifier({ keys: { manager: theirs, keyId: 'peer' } });
    expect((await verifier.verify(signed)).alg).toBe('EdDSA');
    await expect(
      verifier.verify(new Request(signed.url, { method: 'PUT', headers: signed.headers })),
    ).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
  });
});
