/**
 * keys-jwt's verification side on a KeyManager whose store signs inside its backend (no private key ever
 * leaves it), and its reads in the audit trail: the JWKS endpoint and a kid refetch are public reads.
 */
import {
  createMemoryKeyStore,
  type KeyAuditEvent,
  KeyManager,
  type KeyStore,
  PublicKeyPair,
} from '@phlow/keys-core';
import { describe, expect, it } from 'vitest';
import { createJwksHandler, signJwt, verifyJwt } from '../src/index.js';

/** A signer-store stand-in: the versions of a memory store, published public-only, signing refused here. */
function publicOnly(store: KeyStore): KeyStore {
  const versions = store.getKeyVersions!.bind(store);
  return {
    ...store,
    type: 'memory_signer',
    capabilities: { ...store.capabilities, signer: true },
    sign: async () => {
      throw new Error('not used here');
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
    const verified = await verifyJwt(verifier, token, { refetchCooldownMs: 0 });
    expect(verified.kid).toBe((await issuer.getSigningKey('a')).kid);
  });
});
