// The shared KeyStore conformance suite (its signer group) against ministack's KMS (Ed25519 signing).
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { createAwsKmsKeyStore } from '../src/index.js';

runKeyStoreConformance({
  name: 'aws_kms (ministack)',
  create: () => createAwsKmsKeyStore(),
  cleanup: (s) => s.close(),
});
