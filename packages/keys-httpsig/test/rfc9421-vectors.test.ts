// RFC 9421 Appendix B test vectors, reproduced through KeyManager's signing seam (the key is stored in a
// memory store and signs through signDetailed, as any store's key would).
import { createPublicKey } from 'node:crypto';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createRequestVerifier, messageOf, signatureBase, signMessage } from '../src/index.js';

// RFC 9421 B.1.4 test-key-ed25519.
const ED25519_PRIVATE = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
`;
const ED25519_PUBLIC = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
`;

// The request of RFC 9421 B.2.
const body = new TextEncoder().encode('{"hello": "world"}');
const headers = {
  Host: 'example.com',
  Date: 'Tue, 20 Apr 2021 02:07:55 GMT',
  'Content-Type': 'application/json',
  'Content-Digest':
    'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
  'Content-Length': '18',
};
const message = messageOf('POST', new URL('https://example.com/foo?param=Value&Pet=dog'), headers, body);

const B26_BASE = [
  '"date": Tue, 20 Apr 2021 02:07:55 GMT',
  '"@method": POST',
  '"@path": /foo',
  '"@authority": example.com',
  '"content-type": application/json',
  '"content-length": 18',
  '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
].join('\n');
const B26_INPUT =
  'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
const B26_SIGNATURE =
  'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:';

const manager = new KeyManager({ store: createMemoryKeyStore() });
afterAll(() => manager.close());

describe('RFC 9421 B.2.6 (Ed25519)', () => {
  it('reproduces the signature base, Signature-Input and Signature byte for byte', async () => {
    await manager.storeKeyPair('test-key-ed25519', ED25519_PRIVATE, ED25519_PUBLIC);
    const signed = await signMessage(manager, 'test-key-ed25519', message, {
      label: 'sig-b26',
      components: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
      keyid: 'test-key-ed25519',
      includeAlg: false,
      nonce: false,
      tag: null,
      expiresInSeconds: null,
      digest: false,
      now: () => 1618884473_000,
    });
    expect(signed.base).toBe(B26_BASE);
    expect(signed.headers['signature-input']).toBe(B26_INPUT);
    expect(signed.headers.signature).toBe(B26_SIGNATURE);
  });

  it('verifies the RFC signature with a local key (keyid mapped by the verifier, not trusted)', async () => {
    const kid = (await manager.getPublicKeyPair('test-key-ed25519')).kid;
    const verifier = createRequestVerifier({
      keys: { manager, keyId: 'test-key-ed25519' },
      tag: null,
      requireExpires: false,
      maxValiditySeconds: 300,
      requireDigest: false,
      now: () => 1618884473_000,
    });
    // The RFC's keyid is a name, not our thumbprint: a verifier that looks keys up by thumbprint refuses it...
    await expect(
      verifier.verifyMessage({
        ...message,
        header: (n) => ({ 'signature-input': B26_INPUT, signature: B26_SIGNATURE })[n] ?? message.header(n),
      }),
    ).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });
    // ...and the same signature base with the thumbprint as keyid verifies.
    const signed = await signMessage(manager, 'test-key-ed25519', message, {
      label: 'sig-b26',
      components: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
      includeAlg: false,
      nonce: false,
      tag: null,
      expiresInSeconds: null,
      digest: false,
      now: () => 1618884473_000,
    });
    const result = await verifier.verifyMessage({
      ...message,
      header: (n) => (signed.headers as unknown as Record<string, string>)[n] ?? message.header(n),
    });
    expect(result.keyid).toBe(kid);
    expect(result.alg).toBe('EdDSA');
  });

  it('B.2.6 base is what signatureBase builds from the parsed Signature-Input', () => {
    const params = {
      items: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'].map((value) => ({
        value,
        params: new Map(),
      })),
      params: new Map<string, string | number>([
        ['created', 1618884473],
        ['keyid', 'test-key-ed25519'],
      ]),
    };
    expect(signatureBase(message, params)).toBe(B26_BASE);
    expect(createPublicKey(ED25519_PUBLIC).asymmetricKeyType).toBe('ed25519');
  });
});
