// The shared KeyStore conformance suite (its signer group) against a real SoftHSM2 token.
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { createTestStore } from './helpers.js';

runKeyStoreConformance({
  name: 'pkcs11 (SoftHSM2)',
  create: () => createTestStore(),
  cleanup: (s) => s.close(),
});
