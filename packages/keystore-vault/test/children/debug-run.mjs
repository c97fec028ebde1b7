// Child process for secrecy.test.ts: stores, reads, lists and deletes one key with the store built from the
// environment (VAULT_ADDR, VAULT_TOKEN), so that NODE_DEBUG output covers new connections and reused ones.
import { createVaultKeyStore } from '@phlow/keystore-vault';
import { exerciseStore } from '@phlow/test-support/node-debug';

const store = createVaultKeyStore({ onWarning: () => {} });
await store.checkConnection();
await exerciseStore(store, process.argv[2]);
