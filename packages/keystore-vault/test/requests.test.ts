// How many HTTP requests a JWK Set costs: listKeyIds, then getKeyVersions of every id, counted by the test proxy
// in front of the real Vault. A KV v2 version never changes once written, so after the first JWK Set only the
// metadata is read again (one read per id), not every version (src/store.ts, VERSION_CACHE_LIMIT).
import { newEd25519Pems } from '@phlow/keys-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startProxy, type VaultProxy } from './helpers/proxy.js';
import { createTestStore, uid } from './helpers/vault.js';

const prefix = `${uid('count')}/`;
const ids = ['a', 'b', 'c'];
const VERSIONS = 3;
let proxy: VaultProxy;
const admin = createTestStore({ prefix });

beforeAll(async () => {
  proxy = await startProxy(process.env.VAULT_ADDR ?? '');
  for (const keyId of ids) {
    for (let v = 0; v < VERSIONS; v++) {
      const pair = newEd25519Pems();
      await admin.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    }
  }
});
afterAll(async () => {
  for (const keyId of ids) await admin.deleteKeyPair(keyId, { destroy: true });
  await proxy.close();
});

/** What a JWK Set reads: every id, every version. */
async function jwksReads(store: ReturnType<typeof createTestStore>) {
  const out: string[] = [];
  for (const keyId of await store.listKeyIds()) {
    for (const v of await store.getKeyVersions(keyId)) out.push(`${keyId}@${v.version}:${v.publicKey}`);
  }
  return out;
}

it('a second JWK Set reads the metadata of each id and no version again', async () => {
  const store = createTestStore({ prefix, address: proxy.address });
  const data = () => proxy.count(`phlow/data/${prefix}`, 'GET');
  const metadata = () => proxy.count(`phlow/metadata/${prefix}`, 'GET');

  const first = await jwksReads(store);
  expect(first).toHaveLength(ids.length * VERSIONS);
  expect(data()).toBe(ids.length * VERSIONS);

  const [dataBefore, metadataBefore] = [data(), metadata()];
  expect(await jwksReads(store)).toEqual(first);
  expect(data() - dataBefore).toBe(0);
  // One LIST, one metadata read per id in listKeyIds (deleted ids are left out) and one in getKeyVersions.
  expect(metadata() - metadataBefore).toBe(1 + 2 * ids.length);
});

it('an id destroyed and written again is read anew, although its version numbers start over', async () => {
  const store = createTestStore({ prefix, address: proxy.address });
  const before = await store.getKeyVersions('a');
  await admin.deleteKeyPair('a', { destroy: true });
  const fresh = newEd25519Pems();
  await admin.storeKeyPair('a', fresh.privateKey, fresh.publicKey);
  const after = await store.getKeyVersions('a');
  expect(after.map((v) => [v.version, v.publicKey])).toEqual([['1', fresh.publicKey]]);
  expect(before.find((v) => v.version === '1')?.publicKey).not.toBe(fresh.publicKey);
  // Soft-deleted versions are dropped from the answer even though their contents were read before.
  await admin.deleteKeyPair('a');
  expect(await store.getKeyVersions('a')).toEqual([]);
});
