/**
 * The provider the resolver loads for PHLOW_KEY_STORE_TYPE=pkcs11. Its `create` opens the token (module, token
 * label, PIN), so a wrong setting fails at start-up rather than at the first signature.
 */
import { defineKeyStoreProvider } from '@phlow/keys-core';
import type { Pkcs11KeyStoreOptions } from './options.js';
import { createPkcs11KeyStore, type Pkcs11KeyStore } from './store.js';

async function create(options?: Pkcs11KeyStoreOptions): Promise<Pkcs11KeyStore> {
  const store = createPkcs11KeyStore(options);
  try {
    await store.checkConnection();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export const pkcs11KeyStoreProvider = {
  ...defineKeyStoreProvider<Pkcs11KeyStoreOptions>({ type: 'pkcs11', create }),
  create,
};
