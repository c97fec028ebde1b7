/**
 * The helpers signer-store adapters share: the UNSUPPORTED refusals of getPrivateKey / storeKeyPair (worded
 * with the backend's own words) and the provider's start-up check that closes the store when it fails.
 */
import { describe, expect, it } from 'vitest';
import {
  checkedStore,
  createMemoryKeyStore,
  isKeyStoreError,
  type KeyStore,
  signerRefusals,
} from '../src/index.js';

const refusals = signerRefusals('hsm_x', {
  keptIn: 'the X module',
  because: 'it is sealed in hardware',
  noKeyMaterial: 'the X module makes its keys itself',
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('should have been refused'),
    (e: unknown) => e as Error & { code?: string; storeType?: string; keyId?: string },
  );

describe('signerRefusals', () => {
  it('getPrivateKey is UNSUPPORTED, names the backend and why, and says how to sign instead', async () => {
    const error = await failure(refusals.getPrivateKey('agent-1'));
    expect(isKeyStoreError(error, 'UNSUPPORTED')).toBe(true);
    expect(error).toMatchObject({ storeType: 'hsm_x', keyId: 'agent-1' });
    expect(error.message).toBe(
      '[phlow] [hsm_x] the private key of "agent-1" never leaves the X module (it is sealed in hardware): sign with KeyManager.sign or `phlow-keys sign agent-1`; read the public key with getPublicKey',
    );
  });

  it('storeKeyPair is UNSUPPORTED, says why no key material goes in and how to create the key', async () => {
    const error = await failure(refusals.storeKeyPair('agent-1'));
    expect(isKeyStoreError(error, 'UNSUPPORTED')).toBe(true);
    expect(error.message).toBe(
      '[phlow] [hsm_x] the X module makes its keys itself: create "agent-1" with KeyManager.createKey or `phlow-keys generate agent-1`',
    );
  });

  it('a bad id is INVALID_KEY_ID from both, and is not echoed (it may be key material)', async () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----';
    for (const call of [refusals.getPrivateKey, refusals.storeKeyPair]) {
      const error = await failure(call(pem));
      expect(isKeyStoreError(error, 'INVALID_KEY_ID')).toBe(true);
      expect(`${error.message}${JSON.stringify(error)}`).not.toContain('PRIVATE KEY');
    }
  });
});

describe('checkedStore', () => {
  /** A memory store whose close is recorded (or replaced by `close`). */
  const tracked = (close?: () => Promise<void>) => {
    const closed: string[] = [];
    const store: KeyStore = {
      ...createMemoryKeyStore(),
      close: close ?? (async () => void closed.push('closed')),
    };
    return { make: () => store, store, closed };
  };
  const passes = async () => 'ok';
  const refuses = (error: Error) => async () => Promise.reject(error);

  it('resolves to the store itself when the check passes, and leaves it open', async () => {
    const { make, store, closed } = tracked();
    expect(await checkedStore(make, passes)).toBe(store);
    expect(closed).toEqual([]);
  });

  it('closes the store and rejects with the check’s own error when the check fails', async () => {
    const { make, closed } = tracked();
    const refused = new Error('wrong PIN');
    await expect(checkedStore(make, refuses(refused))).rejects.toBe(refused);
    expect(closed).toEqual(['closed']);
  });

  it('a store that cannot close still rejects with the check’s error, not the close failure', async () => {
    const { make } = tracked(async () => Promise.reject(new Error('close failed')));
    const refused = new Error('no such token');
    await expect(checkedStore(make, refuses(refused))).rejects.toBe(refused);
  });

  it('a store that cannot be made (a bad option) is a rejection, not a throw', async () => {
    const bad = () => {
      throw new Error('bad option');
    };
    const outcome = checkedStore(bad, passes);
    expect(outcome).toBeInstanceOf(Promise);
    await expect(outcome).rejects.toThrow('bad option');
  });

  it('a store without close is fine', async () => {
    const store: KeyStore = { ...createMemoryKeyStore(), close: undefined };
    await expect(checkedStore(() => store, refuses(new Error('x')))).rejects.toThrow('x');
  });
});
