// What Node itself prints about the store's requests: NODE_DEBUG=http,net logs the options of every new
// connection, and must not show the credentials the SDK sends (the kit's quiet agents drop them). A real child
// process against ministack, with a session token as temporary credentials carry.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { runWithNodeDebug } from '@phlow/test-support/node-debug';
import { expect, it } from 'vitest';

it('NODE_DEBUG=http,net prints neither the session token nor the Authorization credential', async () => {
  const sessionToken = `phlowSessionToken${randomBytes(12).toString('hex')}`;
  const keyId = `kms-debug-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const child = join(import.meta.dirname, 'children', 'debug-run.mjs');
  const { stdout, stderr } = await runWithNodeDebug(child, [keyId], { AWS_SESSION_TOKEN: sessionToken });
  expect(stdout).toBe('done\n');
  // Node did log the connections (the checks below would pass trivially otherwise) ...
  expect(stderr).toContain('createConnection');
  // ... but no credential: neither the session token nor the access key's credential scope or signature.
  const leaks =
    stderr.split(sessionToken).length - 1 + (stderr.match(/Credential=|Signature=/g)?.length ?? 0);
  expect(leaks, 'occurrences of the session token and the Authorization credential').toBe(0);
  expect(stderr).not.toMatch(/authorization/i);
});
