// The shared KeyStore conformance suite, against moto through the real SDK client; its transport group checks
// the total deadline against a trickling endpoint and NODE_DEBUG=http,net,tls in a child process that carries
// a session token, as temporary credentials do.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { createAwsKeyStore } from '../src/index.js';
import { freshId } from './helpers/keys.js';
import { requireMoto } from './helpers/moto.js';

requireMoto();
const prefix = `phlow-ct-${process.pid}/`;

runKeyStoreConformance({
  name: 'aws',
  create: async () => createAwsKeyStore({ prefix }),
  cleanup: async (store) => store.close(),
  transport: {
    createAgainst: (endpoint, { timeoutMs }) =>
      createAwsKeyStore({ prefix, endpoint, requestDeadlineMs: timeoutMs, requestTimeoutMs: 60_000 }),
    contentType: 'application/x-amz-json-1.1',
    deadlineSetting: 'PHLOW_AWS_REQUEST_DEADLINE_MS',
    nodeDebug: {
      child: join(import.meta.dirname, 'children', 'debug-run.mjs'),
      prepare: () => {
        const sessionToken = `phlowSessionToken${randomBytes(12).toString('hex')}`;
        return {
          args: [`${freshId('debug')}/`],
          env: { AWS_SESSION_TOKEN: sessionToken },
          secrets: [sessionToken],
          forbidden: [/Signature=/, /Credential=/, /authorization/i],
        };
      },
    },
  },
});
