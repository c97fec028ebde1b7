/**
 * The provider the resolver loads for PHLOW_KEY_STORE_TYPE=vault_transit (from `@phlow/keystore-vault/transit`).
 * Its `create` checks the token and the mount, so a wrong setting fails at start-up, not at the first signature.
 */
import { checkedStore, defineKeyStoreProvider } from '@phlow/keys-core';
import type { TransitKeyStoreOptions } from './transit-options.js';
import { createVaultTransitKeyStore, type VaultTransitKeyStore } from './transit-store.js';

const create = (options?: TransitKeyStoreOptions): Promise<VaultTransitKeyStore> =>
  checkedStore(
    () => createVaultTransitKeyStore(options),
    (store) => store.checkConnection(),
  );

export const vaultTransitKeyStoreProvider = {
  ...defineKeyStoreProvider<TransitKeyStoreOptions>({ type: 'vault_transit', create }),
  create,
};
