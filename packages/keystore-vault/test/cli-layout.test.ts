// The layout contract with the Python Phlow and the Vault CLI, both ways, with the real `vault` binary.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestStore, trackedIds, vaultCli } from './helpers/vault.js';

function pems() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

describe('Vault CLI layout (phlow/keys/<id>, private_key / public_key)', () => {
  const store = createTestStore();
  const id = trackedIds(store);

  it('reads a key put with the CLI exactly as the guide shows', async () => {
    const keyId = id('cli-put');
    const dir = mkdtempSync(join(tmpdir(), 'phlow-cli-'));
    const pair = pems();
    writeFileSync(join(dir, 'private_key.pem'), pair.privateKey);
    writeFileSync(join(dir, 'public_key.pem'), pair.publicKey);
    await vaultCli(
      ['kv', 'put', `phlow/keys/${keyId}`, 'private_key=@private_key.pem', 'public_key=@public_key.pem'],
      dir,
    );

    expect(await store.getPrivateKey(keyId)).toBe(readFileSync(join(dir, 'private_key.pem'), 'utf8'));
    expect(await store.getPublicKey(keyId)).toBe(pair.publicKey);
    expect(await store.getKeyPair(keyId)).toMatchObject({ ...pair, version: '1' });
  });

  it('stores keys that `vault kv get` reads back field by field', async () => {
    const keyId = id('store-put');
    const pair = pems();
    await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);

    const json = JSON.parse(await vaultCli(['kv', 'get', '-format=json', `phlow/keys/${keyId}`]));
    expect(json.data.data).toEqual({ private_key: pair.privateKey, public_key: pair.publicKey });
    expect(json.data.metadata.version).toBe(1);
    // -field prints the value followed by no extra newline of its own beyond the PEM's
    expect(await vaultCli(['kv', 'get', '-field=public_key', `phlow/keys/${keyId}`])).toBe(pair.publicKey);
  });

  it('soft-deletes recoverably: `vault kv undelete` brings the key back', async () => {
    const keyId = id('undelete');
    const first = pems();
    const second = pems();
    await store.storeKeyPair(keyId, first.privateKey, first.publicKey);
    await store.storeKeyPair(keyId, second.privateKey, second.publicKey);
    await store.deleteKeyPair(keyId);

    expect(await store.getPrivateKey(keyId)).toBeNull();
    expect(await store.getKeyVersions(keyId)).toEqual([]);
    const state = await store.describeKey(keyId);
    expect(state).toMatchObject({ state: 'deleted', version: '2', path: `phlow/keys/${keyId}` });
    expect(state.deletedAt).toBeInstanceOf(Date);

    await vaultCli(['kv', 'undelete', '-versions=1,2', `phlow/keys/${keyId}`]);
    expect(await store.getPublicKey(keyId)).toBe(second.publicKey);
    expect((await store.getKeyVersions(keyId)).map((v) => v.publicKey)).toEqual([
      second.publicKey,
      first.publicKey,
    ]);
  });

  it('destroy removes every version and the metadata', async () => {
    const keyId = id('destroy');
    const pair = pems();
    await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    await store.deleteKeyPair(keyId, { destroy: true });

    expect(await store.describeKey(keyId)).toEqual({ keyId, path: `phlow/keys/${keyId}`, state: 'absent' });
    await expect(vaultCli(['kv', 'metadata', 'get', `phlow/keys/${keyId}`])).rejects.toThrow(
      /No value found/,
    );
  });

  it('tells a destroyed current version from a deleted one', async () => {
    const keyId = id('destroyed-version');
    const pair = pems();
    await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    await vaultCli(['kv', 'destroy', '-versions=1', `phlow/keys/${keyId}`]);
    expect(await store.getKeyPair(keyId)).toBeNull();
    expect(await store.describeKey(keyId)).toMatchObject({ state: 'destroyed', version: '1' });
  });

  it('a secret missing a field is INVALID_KEY naming the field, never a half pair', async () => {
    const keyId = id('half');
    const pair = pems();
    const dir = mkdtempSync(join(tmpdir(), 'phlow-cli-'));
    writeFileSync(join(dir, 'public_key.pem'), pair.publicKey);
    await vaultCli(['kv', 'put', `phlow/keys/${keyId}`, 'public_key=@public_key.pem'], dir);
    expect(await store.getPublicKey(keyId)).toBe(pair.publicKey);
    expect(await store.getPrivateKey(keyId)).toBeNull();
    await expect(store.getKeyPair(keyId)).rejects.toMatchObject({
      code: 'INVALID_KEY',
      message: expect.stringContaining('private_key'),
    });
  });
});
