// generateKeyPair's algorithm option: RSA-2048 pairs as the Python Phlow stores them, published as RSA JWKs.
import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore, jwkThumbprint, KeyManager } from '../src/index.js';

describe("generateKeyPair(id, { algorithm: 'RS256' })", () => {
  it('makes an RSA-2048 pair (e 65537) as unencrypted PKCS#8 / SPKI PEM, published as an RSA JWK with n, e and its thumbprint', async () => {
    const keys = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    const pair = await keys.generateKeyPair('py', { algorithm: 'RS256' });
    expect(pair.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(pair.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const details = createPrivateKey(pair.privateKey).asymmetricKeyDetails;
    expect(details).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    const [jwk] = (await keys.jwks(['py'])).keys;
    expect(jwk).toMatchObject({ kty: 'RSA', e: 'AQAB', alg: 'RS256', use: 'sig' });
    expect(jwk?.kid).toBe(jwkThumbprint({ kty: 'RSA', n: jwk?.n, e: jwk?.e }));
    expect(JSON.stringify(jwk)).not.toMatch(/"(d|p|q|dp|dq|qi)"/);
  });

  it('refuses an unknown algorithm with UNSUPPORTED and stores nothing', async () => {
    const store = createMemoryKeyStore();
    const keys = new KeyManager({ store, env: {} });
    await expect(keys.generateKeyPair('x', { algorithm: 'HS256' as never })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
    expect(await store.getPublicKey('x')).toBeNull();
  });
});
