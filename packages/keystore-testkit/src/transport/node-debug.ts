/**
 * The NODE_DEBUG secrecy check of a network store: NODE_DEBUG=http,net,tls makes Node print the options of
 * every new connection and TLS session, and the store's credentials must not be among them (the quiet agents
 * of `@phlow/keys-core/adapter` keep them out). runWithNodeDebug runs the adapter's child script, which builds
 * its store from the environment and calls exerciseStore. No vitest here: the child imports this file.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type KeyStore, newEd25519Pems } from '@phlow/keys-core';

const run = promisify(execFile);

/** What Node prints about connections; the check needs all three. */
export const NODE_DEBUG_SECTIONS = 'http,net,tls';

/** Runs the Node script `child` under NODE_DEBUG=http,net,tls with `env` on top of this process's environment. */
export function runWithNodeDebug(
  child: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [child, ...args], {
    env: { ...process.env, ...env, NODE_DEBUG: NODE_DEBUG_SECTIONS },
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * In the child: writes, reads, lists and deletes (destroy) `keyId`, then closes the store, so that the output
 * covers new connections and reused ones; prints `done` last. An exportable store stores a pair; a signer
 * store (capability `signer`) creates a key and signs with it; a read-only store reads what is there.
 */
export async function exerciseStore(store: KeyStore, keyId: string): Promise<void> {
  const data = new TextEncoder().encode('phlow NODE_DEBUG check');
  if (store.capabilities.signer) {
    await store.createKey!(keyId);
    await store.sign!(keyId, data);
    await store.getPublicKeyVersions!(keyId);
    await store.getPublicKey(keyId);
  } else {
    if (store.capabilities.write) {
      const pair = newEd25519Pems();
      await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    }
    await store.getPrivateKey(keyId);
    await store.getPublicKey(keyId);
    if (store.capabilities.readPair) await store.getKeyPair!(keyId);
    if (store.capabilities.versions) await store.getKeyVersions!(keyId);
  }
  if (store.capabilities.list) await store.listKeyIds!();
  if (store.capabilities.write || store.capabilities.signer)
    await store.deleteKeyPair(keyId, { destroy: true });
  await store.close?.();
  process.stdout.write('done\n');
}
