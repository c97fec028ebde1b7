// Child process for secrecy.test.ts: stores, reads, lists and deletes one key with the store built from the
// environment (the SDK's AWS_* variables), so that NODE_DEBUG output covers new connections and reused ones.
import { generateKeyPairSync } from 'node:crypto';
import { createAwsKeyStore } from '@phlow/keystore-aws';

const keyId = process.argv[2];
const store = createAwsKeyStore({ prefix: process.argv[3] });
const pair = generateKeyPairSync('ed25519', {
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
await store.getKeyPair(keyId);
await store.getKeyVersions(keyId);
await store.listKeyIds();
await store.deleteKeyPair(keyId, { destroy: true });
await store.close();
process.stdout.write('done\n');
