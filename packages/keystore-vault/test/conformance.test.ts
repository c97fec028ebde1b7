// The shared KeyStore conformance suite, against the real Vault server; its transport group checks the total
// deadline against a trickling endpoint and NODE_DEBUG=http,net,tls in a child process with a scoped token.
import { join } from 'node:path';
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { createVaultKeyStore } from '../src/index.js';
import { createTestStore, storeEnv, tokenWithPolicy } from './helpers/vault.js';

runKeyStoreConformance({
  name: 'vault',
  create: () => createTestStore(),
  cleanup: (store) => store.close(),
  transport: {
    createAgainst: (address, { timeoutMs }) =>
      createVaultKeyStore({
        address,
        token: 'phlow-trickle-token',
        requestDeadlineMs: timeoutMs,
        onWarning: () => {},
        env: {},
      }),
    deadlineSetting: 'PHLOW_VAULT_REQUEST_DEADLINE_SECONDS',
    nodeDebug: {
      child: join(import.meta.dirname, 'children', 'debug-run.mjs'),
      prepare: async () => {
        const token = await tokenWithPolicy(
          'phlow-debug-test',
          'path "phlow/*" { capabilities = ["create", "read", "update", "delete", "list"] }',
        );
        return { env: storeEnv({ VAULT_TOKEN: token }), secrets: [token] };
      },
    },
  },
});
