import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { createEnvKeyStore } from '../src/index.js';

const env: Record<string, string | undefined> = {};

runKeyStoreConformance({
  name: 'environment',
  create: () => createEnvKeyStore({ env, onWarning: () => {} }),
  seed: (_store, keyId, pair) => {
    env[`PHLOW_PRIVATE_KEY_${keyId}`] = pair.privateKey;
    env[`PHLOW_PUBLIC_KEY_${keyId}`] = pair.publicKey;
  },
});
