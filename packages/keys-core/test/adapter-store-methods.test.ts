/**
 * wrapStore keeps exactly the methods a store has (signer methods included) and its capabilities, so that
 * KeyManager accepts a wrapped signer store; KEYSTORE_METHODS names every method of the contract.
 */
import { describe, expect, it } from 'vitest';
import { KEYSTORE_METHODS, wrapStore } from '../src/adapter/index.js';
import type { KeyStore } from '../src/contract.js';
import { KeyManager } from '../src/index.js';
import { createMemoryKeyStore } from '../src/memory-store.js';

/** A minimal signer store: signs with the private key it holds (enough for KeyManager's checks). */
function signerStore(): KeyStore {
  return {
    type: 'fake_signer',
    capabilities: { write: false, readPair: false, list: false, versions: false, signer: true },
    getPrivateKey: async () => null,
    getPublicKey: async () => null,
    storeKeyPair: async () => {},
    deleteKeyPair: async () => {},
    sign: async () => new Uint8Array(64),
    getPublicKeyVersions: async () => [],
    createKey: async () => {},
    rotateKey: async () => {},
    retireVersions: async () => {},
  };
}

describe('adapter wrapStore', () => {
  it('names every method of the contract once', () => {
    expect(new Set(KEYSTORE_METHODS).size).toBe(KEYSTORE_METHODS.length);
    for (const m of ['sign', 'getPublicKeyVersions', 'createKey', 'rotateKey', 'retireVersions', 'close']) {
      expect(KEYSTORE_METHODS).toContain(m);
    }
  });

  it('keeps the signer methods and capabilities: KeyManager accepts the wrapped signer store', () => {
    const store = signerStore();
    const calls: string[] = [];
    const wrapped = wrapStore(store, (method, _args, call) => {
      calls.push(method);
      return call();
    });
    expect(wrapped.capabilities).toBe(store.capabilities);
    expect(wrapped.type).toBe('fake_signer');
    const has = (s: KeyStore) => KEYSTORE_METHODS.filter((m) => typeof s[m] === 'function');
    expect(has(wrapped)).toEqual(has(store));
    expect(() => new KeyManager({ store: wrapped, env: {} })).not.toThrow();
  });

  it('adds no method the store lacks, passes arguments and results through `around`', async () => {
    const store = createMemoryKeyStore();
    const seen: [string, readonly unknown[]][] = [];
    const wrapped = wrapStore(store, async (method, args, call) => {
      seen.push([method, args]);
      return call();
    });
    for (const m of KEYSTORE_METHODS) expect(typeof wrapped[m]).toBe(typeof store[m]);
    expect(await wrapped.getPublicKey('nobody')).toBeNull();
    expect(seen).toEqual([['getPublicKey', ['nobody']]]);
  });

  it('lets `around` replace the outcome (fault injection)', async () => {
    const wrapped = wrapStore(createMemoryKeyStore(), async (method, _args, call) => {
      if (method === 'getPublicKey') throw new Error('injected');
      return call();
    });
    await expect(wrapped.getPublicKey('x')).rejects.toThrow('injected');
  });
});
