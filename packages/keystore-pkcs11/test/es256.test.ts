/**
 * ES256 (P-256) keys on SoftHSM2: generated on the token (CKM_EC_KEY_PAIR_GEN), signing there (CKM_ECDSA over
 * a SHA-256 digest, r || s), for verifiers that refuse EdDSA (SPIFFE JWT-SVIDs, OAuth private_key_jwt).
 * Chosen per store (`algorithm` / PHLOW_PKCS11_ALGORITHM) or per createKey call; a rotation keeps it.
 */
import { createPublicKey, verify } from 'node:crypto';
import { KeyManager } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import provider from '../src/index.js';
import { createTestStore, tokenEnv, uid } from './helpers.js';

const message = new TextEncoder().encode('an ES256 signature from the token');
const es256Verifies = (publicKey: string, signature: Uint8Array) =>
  verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);

describe('pkcs11 ES256 (P-256) keys on SoftHSM2', () => {
  const store = createTestStore({ algorithm: 'ES256' });
  afterAll(() => store.close());

  it('KeyManager creates, signs (JWS r || s), verifies, publishes and rotates an ES256 key; the rotation keeps it', async () => {
    const keys = new KeyManager({ store, env: {}, rotationDelayMs: 0 });
    const keyId = uid('es256');
    try {
      const created = await keys.createKey(keyId);
      expect(created.alg).toBe('ES256');
      const key = createPublicKey(created.publicKey);
      expect(key.asymmetricKeyType).toBe('ec');
      expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      const signature = await keys.sign(keyId, message);
      expect(signature.length).toBe(64);
      expect(es256Verifies(created.publicKey, signature)).toBe(true);
      expect(await keys.verify(keyId, message, signature)).toBe(true);
      const jwk = (await keys.jwks([keyId])).keys.find((k) => k.kid === created.kid);
      expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });

      const rotated = await keys.rotateKeyPair(keyId);
      expect(rotated.keyPair.alg).toBe('ES256');
      expect(rotated.keyPair.version).toBe('2');
      const next = await keys.sign(keyId, message);
      expect(es256Verifies(rotated.keyPair.publicKey, next)).toBe(true);
      // The previous version still signs when asked for by version.
      expect(es256Verifies(created.publicKey, await store.sign(keyId, message, { version: '1' }))).toBe(true);
    } finally {
      await store.deleteKeyPair(keyId);
    }
  });

  it('createKey names the algorithm per key on a store whose default is EdDSA; both kinds live side by side', async () => {
    const eddsaStore = createTestStore();
    const [ec, ed] = [uid('per-key-ec'), uid('per-key-ed')];
    try {
      await eddsaStore.createKey(ec, { algorithm: 'ES256' });
      await eddsaStore.createKey(ed);
      const [ecKey] = await eddsaStore.getPublicKeyVersions(ec);
      const [edKey] = await eddsaStore.getPublicKeyVersions(ed);
      expect(createPublicKey(ecKey!.publicKey).asymmetricKeyType).toBe('ec');
      expect(createPublicKey(edKey!.publicKey).asymmetricKeyType).toBe('ed25519');
      expect(es256Verifies(ecKey!.publicKey, await eddsaStore.sign(ec, message))).toBe(true);
      expect(verify(null, message, edKey!.publicKey, await eddsaStore.sign(ed, message))).toBe(true);
      await eddsaStore.rotateKey(ec, { expectedVersion: '1' });
      const [ecNext] = await eddsaStore.getPublicKeyVersions(ec);
      expect(createPublicKey(ecNext!.publicKey).asymmetricKeyType).toBe('ec');
    } finally {
      await eddsaStore.deleteKeyPair(ec);
      await eddsaStore.deleteKeyPair(ed);
      await eddsaStore.close();
    }
  });

  it('an unknown algorithm is INVALID_CONFIG naming the setting', async () => {
    const failure = await provider.create({ env: { ...tokenEnv(), PHLOW_PKCS11_ALGORITHM: 'RS256' } }).then(
      (s) => s.close().then(() => undefined),
      (e: Error & { code?: string }) => e,
    );
    expect(failure?.code).toBe('INVALID_CONFIG');
    expect(failure?.message).toContain('PHLOW_PKCS11_ALGORITHM');
  });
});
