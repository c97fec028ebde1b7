/**
 * A third-party adapter as an outside author would publish it: `phlow-keystore-redis`, ESM only (its `exports`
 * has only an `import` condition), peer-depending on core, Map-backed so that it needs no server. The tarball
 * e2e packs it with npm and resolves it by its full package name and by its short name.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const INDEX = `// A Map-backed key store published under the resolver's naming convention.
import { defineKeyStoreProvider, assertValidKeyId } from '@phlow/keys-core';

export function createRedisKeyStore() {
  const pairs = new Map();
  return {
    type: 'redis',
    capabilities: { write: true, readPair: true, list: true, versions: false },
    async getPrivateKey(id) { assertValidKeyId(id, 'redis'); return pairs.get(id)?.privateKey ?? null; },
    async getPublicKey(id) { assertValidKeyId(id, 'redis'); return pairs.get(id)?.publicKey ?? null; },
    async getKeyPair(id) { assertValidKeyId(id, 'redis'); const p = pairs.get(id); return p ? { ...p } : null; },
    async storeKeyPair(id, privateKey, publicKey) { assertValidKeyId(id, 'redis'); pairs.set(id, { privateKey, publicKey }); },
    async deleteKeyPair(id) { assertValidKeyId(id, 'redis'); pairs.delete(id); },
    async listKeyIds() { return [...pairs.keys()].sort(); },
  };
}

export default defineKeyStoreProvider({ type: 'redis', create: () => createRedisKeyStore() });
`;

/** Writes the adapter's sources into `dir` and returns `dir`. */
export function writeRedisAdapter(dir) {
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'phlow-keystore-redis',
    version: '1.0.0',
    type: 'module',
    exports: { '.': { import: './index.js' } },
    peerDependencies: { '@phlow/keys-core': '^1.0.0' },
    license: 'MIT',
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'index.js'), INDEX);
  return dir;
}
