// Child process of the conformance suite's transport group (NODE_DEBUG=http,net,tls): stores, reads, lists and
// deletes one key with the store built from the environment (VAULT_ADDR, VAULT_TOKEN), so that the output
// covers new connections and reused ones.

import { exerciseStore } from '@phlow/keystore-testkit/transport';
import { createVaultKeyStore } from '@phlow/keystore-vault';

const store = createVaultKeyStore({ onWarning: () => {} });
await store.checkConnection();
await exerciseStore(store, process.argv[2]);
