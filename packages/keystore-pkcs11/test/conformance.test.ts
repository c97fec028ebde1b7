// The shared KeyStore conformance suite against a real SoftHSM2 token: its signer group, and the transport
// group's wrapper test (KeyManager over withFaults() and the named view signs and verifies, signer methods
// kept). No `transport` option: the store talks to a local PKCS#11 library, not to a server, so the deadline
// and NODE_DEBUG checks report themselves as skipped.
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { createTestStore } from './helpers.js';

runKeyStoreConformance({
  name: 'pkcs11 (SoftHSM2)',
  create: () => createTestStore(),
  cleanup: (s) => s.close(),
});
