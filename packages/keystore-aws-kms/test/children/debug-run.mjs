// Child process of the conformance suite's transport group (NODE_DEBUG=http,net,tls): creates, signs with,
// reads, lists and deletes one key with the store built from the environment (the SDK's AWS_* variables), so
// that the output covers new connections and reused ones.

import { createAwsKmsKeyStore } from '@phlow/keystore-aws-kms';
import { exerciseStore } from '@phlow/keystore-testkit/transport';

await exerciseStore(createAwsKmsKeyStore(), process.argv[2]);
