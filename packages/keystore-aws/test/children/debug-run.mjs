// Child process for secrecy.test.ts: stores, reads, lists and deletes one key with the store built from the
// environment (the SDK's AWS_* variables), so that NODE_DEBUG output covers new connections and reused ones.
import { createAwsKeyStore } from '@phlow/keystore-aws';
import { exerciseStore } from '@phlow/test-support/node-debug';

await exerciseStore(createAwsKeyStore({ prefix: process.argv[3] }), process.argv[2]);
