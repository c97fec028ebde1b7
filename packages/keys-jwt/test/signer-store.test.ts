/**
 * keys-jwt's verification side on a KeyManager whose store signs inside its backend (no private key ever
 * leaves it), and its reads in the audit trail: the JWKS endpoint and a kid refetch are public reads.
 */

import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import {
  createMemoryKeyStore,
  type KeyAuditEvent,
  KeyManager,
  type KeyStore,
  PublicKeyPair,
} from '@phlow/keys-core';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createJwksHandler, signJwt, verifyJwt } from '../src/index.js';

/** A signer-store stand-in: the versions of a memory store, published public-only, signing refused here. */
function publicOnly(store: KeyStore): KeyStore {
  const versions = store.getKeyVersions!.bind(store);
  return {
    ...store,
    type: 'memory_signer',
    capabilities: { ...store.capabilities, signer: true },
    // Signs "in the backend": with the backing store's private key of the version asked for.
    sign: async (id: string, data: Uint8Array, options?: { version?: string }) => {
      const all = await versions(id);
      const version = all.find((v) => v.version === options?.version) ?? all[0]!;
      return new Uint8Array(cryptoSign(null, data, createPrivateKey(version.privateKey)));
    },
    createKey: async () => {},
    rotateKey: async () => {},
    retireVersions: async () => {},
    getPublicKeyVersions: async (id: string) =>
      (await versions(id)).map(({ publicKey, version, createdAt, current }) => ({
        publicKey,
        version,
        createdAt,
        current,
      })),
  } as unknown as KeyStore;
}

describe('the JWKS handler reads public keys only', () => {
  it('serves a signer store (whose getKeyPair and refresh are UNSUPPORTED)', async () => {
    const backing = createMemoryKeyStore();
    await new KeyManager({ store: backing, env: {} }).generateKeyPair('a');
    const keys = new KeyManager({ store: publicOnly(backing), env: {} });
    expect(await keys.getPublicKeyPair('a')).toBeInstanceOf(PublicKeyPair);
    const res = await createJwksHandler(keys)(new Request('http://agent.test/'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(await keys.jwks(['a']));
  });

  it('records no private read in the audit trail when it builds the set', async () => {
    const events: KeyAuditEvent[] = [];
    const keys = new KeyManager({
      store: createMemoryKeyStore(),
      env: {},
      onEvent: (e) => {
        if (e.type === 'audit') events.push(e);
      },
    });
    await keys.generateKeyPair('a');
    expect((await createJwksHandler(keys)(new Request('http://agent.test/'))).status).toBe(200);
    expect(events.map((e) => e.operation)).toEqual(['generate']);
  });
});

describe('verifyJwt on a signer store', () => {
  it('refetches an unknown kid through a public read (refresh is UNSUPPORTED there)', async () => {
    const backing = createMemoryKeyStore();
    const issuer = new KeyManager({ store: backing, env: {}, rotationDelayMs: 0 });
    await issuer.generateKeyPair('a');
    const verifier = new KeyManager({
      store: publicOnly(backing),
      env: {},
      cache: { refetchCooldownMs: 0 },
    });
    await verifier.getVerificationKeys('a'); // caches the first key only
    await issuer.rotateKeyPair('a');
    const token = await signJwt(issuer, 'a');
    const verified = await verifyJwt(verifier, token);
    expect(verified.kid).toBe((await issuer.getSigningKey('a')).kid);
  });
});

describe('signJwt on a signer store', () => {
  it('signs through the store (no private key in this process), and jose and verifyJwt accept the token', async () => {
    const backing = createMemoryKeyStore();
    await new KeyManager({ store: backing, env: {} }).generateKeyPair('a');
    const events: KeyAuditEvent[] = [];
    const keys = new KeyManager({
      store: publicOnly(backing),
      env: {},
      onEvent: (e) => {
        if (e.type === 'audit') events.push(e);
      },
    });
    await expect(keys.getKeyPair('a')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const token = await signJwt(keys, 'a', { scope: 'x' }, { audience: 'peer' });
    const { kid } = await keys.getPublicKeyPair('a');
    const jose = await jwtVerify(token, createLocalJWKSet(await keys.jwks(['a'])), { audience: 'peer' });
    expect(jose.protectedHeader).toMatchObject({ alg: 'EdDSA', kid, typ: 'JWT' });
    expect(jose.payload).toMatchObject({ iss: 'a', scope: 'x', aud: 'peer' });
    expect((await verifyJwt(keys, token, { audience: 'peer' })).kid).toBe(kid);
    // The token is on record as a signature by that key, and nothing private was handed out.
    expect(events.filter((e) => e.operation === 'sign')).toEqual([
      expect.objectContaining({ keyId: 'a', kid, outcome: 'success' }),
    ]);
    expect(events.some((e) => e.private === true)).toBe(false);
  });
});
