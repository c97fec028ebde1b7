// The shared KeyStore conformance suite (its signer group) against ministack's KMS (Ed25519 signing); its
// transport group checks the total deadline against a trickling endpoint and NODE_DEBUG=http,net,tls in a
// child process that carries a session token (before the kit's agents and deadline: no deadline at all, and
// the session token and the Authorization credential printed 12 times by create, sign, rotate, list, delete).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { createAwsKmsKeyStore } from '../src/index.js';

runKeyStoreConformance({
  name: 'aws_kms (ministack)',
  create: () => createAwsKmsKeyStore(),
  cleanup: (s) => s.close(),
  transport: {
    createAgainst: (endpoint, { timeoutMs }) =>
      createAwsKmsKeyStore({ endpoint, deadlineMs: timeoutMs, timeoutMs: 60_000 }),
    contentType: 'application/x-amz-json-1.1',
    deadlineSetting: 'PHLOW_AWS_KMS_DEADLINE_MS',
    nodeDebug: {
      child: join(import.meta.dirname, 'children', 'debug-run.mjs'),
      prepare: () => {
        const sessionToken = `phlowSessionToken${randomBytes(12).toString('hex')}`;
        return {
          env: { AWS_SESSION_TOKEN: sessionToken },
          secrets: [sessionToken],
          forbidden: [/Signature=/, /Credential=/, /authorization/i],
        };
      },
    },
  },
});
