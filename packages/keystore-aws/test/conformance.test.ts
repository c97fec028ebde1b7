// The shared KeyStore conformance suite, against moto through the real SDK client.
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { createAwsKeyStore } from '../src/index.js';
import { requireMoto } from './helpers/moto.js';

requireMoto();

runKeyStoreConformance({
  name: 'aws',
  create: async () => createAwsKeyStore({ prefix: `phlow-ct-${process.pid}/` }),
  cleanup: async (store) => store.close(),
});
