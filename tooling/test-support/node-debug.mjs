// The NODE_DEBUG secrecy check of the adapters (test/secrecy.test.ts): NODE_DEBUG=http,net makes Node log the
// options of every new connection, and the store's credentials must not be among them. runWithNodeDebug runs
// a child (test/children/debug-run.mjs) that builds its store from the environment and calls exerciseStore.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { newEd25519Pems } from '@phlow/keys-core';

const run = promisify(execFile);

/** Runs `child` with Node under NODE_DEBUG=http,net and `env` on top of this process's environment. */
export function runWithNodeDebug(child, args, env) {
  return run(process.execPath, [child, ...args], {
    env: { ...process.env, ...env, NODE_DEBUG: 'http,net' },
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * In the child: stores, reads, lists and deletes one key, then closes the store, so that the output covers new
 * connections and reused ones; prints `done` last.
 */
export async function exerciseStore(store, keyId) {
  const pair = newEd25519Pems();
  await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
  await store.getKeyPair(keyId);
  await store.getKeyVersions(keyId);
  await store.listKeyIds();
  await store.deleteKeyPair(keyId, { destroy: true });
  await store.close();
  process.stdout.write('done\n');
}
