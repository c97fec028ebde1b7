/**
 * The provider the resolver loads for PHLOW_KEY_STORE_TYPE=vault. Its `create` builds the store and runs the
 * start-up check (token, mount), so a wrong address or a dead token fails at start-up with a clear message
 * rather than at the first signature.
 */
import { checkedStore, defineKeyStoreProvider } from '@phlow/keys-core';
import type { VaultKeyStoreOptions } from './options.js';
import { createVaultKeyStore, type VaultKeyStore } from './store.js';

// A failed check closes the store, so a failed start leaves no session (token renewal timer, sockets) behind.
const create = (options?: VaultKeyStoreOptions): Promise<VaultKeyStore> =>
  checkedStore(
    () => createVaultKeyStore(options),
    (store) => store.checkConnection(),
  );

// Spread so that the declared type keeps `create`'s precise result (a VaultKeyStore, always async).
export const vaultKeyStoreProvider = {
  ...defineKeyStoreProvider<VaultKeyStoreOptions>({ type: 'vault', create }),
  create,
};
