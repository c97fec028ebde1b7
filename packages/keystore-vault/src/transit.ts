/**
 * @phlow/keystore-vault/transit: Phlow signing keys that never leave Vault (Transit engine, Ed25519,
 * non-exportable). The same connection settings as the KV store; see the README's "Vault Transit" section.
 */
export type { TransitKeyStoreOptions } from './transit-options.js';
export { vaultTransitKeyStoreProvider as default, vaultTransitKeyStoreProvider } from './transit-provider.js';
export {
  createVaultTransitKeyStore,
  type VaultTransitConnectionInfo,
  type VaultTransitKeyStore,
} from './transit-store.js';
