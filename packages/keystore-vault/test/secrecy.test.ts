// What Node itself prints about the store's requests: NODE_DEBUG=http,net logs the options of every new
// connection, and must not show the Vault token (see src/agent.ts). A real child process against the real Vault.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { storeEnv, tokenWithPolicy, uid } from './helpers/vault.js';

const run = promisify(execFile);

it('NODE_DEBUG=http,net does not print the Vault token', async () => {
  const token = await tokenWithPolicy(
    'phlow-debug-test',
    'path "phlow/*" { capabilities = ["create", "read", "update", "delete", "list"] }',
  );
  const child = join(import.meta.dirname, 'children', 'debug-run.mjs');
  const { stdout, stderr } = await run(process.execPath, [child, uid('debug')], {
    env: { ...process.env, ...storeEnv({ VAULT_TOKEN: token }), NODE_DEBUG: 'http,net' },
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(stdout).toBe('done\n');
  // Node did log the connections (the check below would pass trivially otherwise) ...
  expect(stderr).toContain('createConnection');
  // ... but never the token.
  expect(stderr).not.toContain(token);
});
