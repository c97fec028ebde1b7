/**
 * @phlow/keystore-vault: Phlow key pairs in HashiCorp Vault KV v2, in the layout of the Python Phlow
 * (mount `phlow`, path `keys/<id>`, fields `private_key` / `public_key`).
 */
export type { VaultConnectionInfo } from './check.js';
export type { VaultKeyStoreOptions } from './options.js';
export { vaultKeyStoreProvider, vaultKeyStoreProvider as default } from './provider.js';
export { createVaultKeyStore, type VaultKeyState, type VaultKeyStore } from './store.js';
