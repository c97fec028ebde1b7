// Child process of the conformance suite's transport group (NODE_DEBUG=http,net,tls): stores, reads, lists and
// deletes one key with the store built from the environment (the SDK's AWS_* variables), so that the output
// covers new connections and reused ones.

import { createAwsKeyStore } from '@phlow/keystore-aws';
import { exerciseStore } from '@phlow/keystore-testkit/transport';

await exerciseStore(createAwsKeyStore({ prefix: process.argv[3] }), process.argv[2]);
