// Child process for secrecy.test.ts: stores, reads, lists and deletes one key with the store built from the
// environment (VAULT_ADDR, VAULT_TOKEN), so that NODE_DEBUG output covers new connections and reused ones.
import { newEd25519Pems } from '@phlow/keys-core';
import { createVaultKeyStore } from '@phlow/keystore-vault';

const keyId = process.argv[2];
const store = createVaultKeyStore({ onWarning: () => {} });
const pair = newEd25519Pems();
await store.checkConnection();
await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
await store.getKeyPair(keyId);
await store.getKeyVersions(keyId);
await store.listKeyIds();
await store.deleteKeyPair(keyId, { destroy: true });
await store.close();
process.stdout.write('done\n');
