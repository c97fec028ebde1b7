/**
 * The provider the resolver loads for PHLOW_KEY_STORE_TYPE=pkcs11. Its `create` opens the token (module, token
 * label, PIN), so a wrong setting fails at start-up rather than at the first signature.
 */
import { checkedStore, defineKeyStoreProvider } from '@phlow/keys-core';
import type { Pkcs11KeyStoreOptions } from './options.js';
import { createPkcs11KeyStore, type Pkcs11KeyStore } from './store.js';

const create = (options?: Pkcs11KeyStoreOptions): Promise<Pkcs11KeyStore> =>
  checkedStore(
    () => createPkcs11KeyStore(options),
    (store) => store.checkConnection(),
  );

export const pkcs11KeyStoreProvider = {
  ...defineKeyStoreProvider<Pkcs11KeyStoreOptions>({ type: 'pkcs11', create }),
  create,
};
