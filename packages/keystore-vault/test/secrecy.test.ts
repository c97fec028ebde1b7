// What Node itself prints about the store's requests: NODE_DEBUG=http,net logs the options of every new
// connection, and must not show the Vault token (see src/agent.ts). A real child process against the real Vault.
import { join } from 'node:path';
import { runWithNodeDebug } from '@phlow/test-support/node-debug';
import { expect, it } from 'vitest';
import { storeEnv, tokenWithPolicy, uid } from './helpers/vault.js';

it('NODE_DEBUG=http,net does not print the Vault token', async () => {
  const token = await tokenWithPolicy(
    'phlow-debug-test',
    'path "phlow/*" { capabilities = ["create", "read", "update", "delete", "list"] }',
  );
  const child = join(import.meta.dirname, 'children', 'debug-run.mjs');
  const { stdout, stderr } = await runWithNodeDebug(child, [uid('debug')], storeEnv({ VAULT_TOKEN: token }));
  expect(stdout).toBe('done\n');
  // Node did log the connections (the check below would pass trivially otherwise) ...
  expect(stderr).toContain('createConnection');
  // ... but never the token.
  expect(stderr).not.toContain(token);
});
