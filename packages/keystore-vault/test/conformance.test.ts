// The shared KeyStore conformance suite, against the real Vault server.
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { createTestStore } from './helpers/vault.js';

runKeyStoreConformance({
  name: 'vault',
  create: () => createTestStore(),
  cleanup: (store) => store.close(),
});
