// Child process for secrecy.test.ts: creates, signs with, rotates, lists and deletes one key with the store
// built from the environment (the SDK's AWS_* variables), so that NODE_DEBUG output covers new connections and
// reused ones; prints `done` last.
import { createAwsKmsKeyStore } from '@phlow/keystore-aws-kms';

const store = createAwsKmsKeyStore();
const keyId = process.argv[2];
await store.createKey(keyId);
await store.sign(keyId, new TextEncoder().encode('hello'));
await store.rotateKey(keyId, { expectedVersion: '1' });
await store.getPublicKeyVersions(keyId);
await store.listKeyIds();
await store.deleteKeyPair(keyId);
await store.close();
process.stdout.write('done\n');
