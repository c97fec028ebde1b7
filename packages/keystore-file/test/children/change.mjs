// Child process: one write to the key file, then prints the id's current version and public key as JSON.
// `store` stores a fresh Ed25519 pair through the store; `rotate` rotates through a KeyManager (a new key, written
// with its activation time). Usage: node change.mjs <file> <master key> <format> <id> <store|rotate>
import { generateKeyPairSync } from 'node:crypto';
import { KeyManager } from '@phlow/keys-core';
import { createFileKeyStore } from '@phlow/keystore-file';

const [path, masterKey, format, id, mode] = process.argv.slice(2);
const store = createFileKeyStore({ path, masterKey, format, env: {} });
if (mode === 'rotate') {
  await new KeyManager({ store, env: {} }).rotateKeyPair(id);
} else {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await store.storeKeyPair(
    id,
    privateKey.export({ type: 'pkcs8', format: 'pem' }),
    publicKey.export({ type: 'spki', format: 'pem' }),
  );
}
const [current] = await store.getKeyVersions(id);
process.stdout.write(`${JSON.stringify({ version: current.version, publicKey: current.publicKey })}\n`);
