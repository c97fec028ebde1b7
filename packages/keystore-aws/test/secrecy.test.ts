// What Node itself prints about the store's requests: NODE_DEBUG=http,net logs the options of every new
// connection, and must not show the credentials the SDK sends (see src/agent.ts). A real child process against
// moto, with a session token as temporary credentials carry.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { runWithNodeDebug } from '@phlow/test-support/node-debug';
import { expect, it } from 'vitest';
import { freshId } from './helpers/keys.js';
import { requireMoto } from './helpers/moto.js';

requireMoto();

it('NODE_DEBUG=http,net prints neither the session token nor the signature', async () => {
  const sessionToken = `phlowSessionToken${randomBytes(12).toString('hex')}`;
  const child = join(import.meta.dirname, 'children', 'debug-run.mjs');
  const { stdout, stderr } = await runWithNodeDebug(child, [freshId('debug'), `${freshId('debug')}/`], {
    AWS_SESSION_TOKEN: sessionToken,
  });
  expect(stdout).toBe('done\n');
  // Node did log the connections (the checks below would pass trivially otherwise) ...
  expect(stderr).toContain('createConnection');
  // ... but no credential: neither the session token nor a request signature.
  expect(stderr).not.toContain(sessionToken);
  expect(stderr).not.toMatch(/Signature=|authorization/i);
});
