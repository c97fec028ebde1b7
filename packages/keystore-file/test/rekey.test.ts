// rekey: re-encryption under a new master key, keeping every key and version.
import { existsSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHeader } from '../src/format.js';
import { createFileKeyStore, generateMasterKey } from '../src/index.js';
import { CHEAP_SCRYPT, expectCode, RAW_KEY, readBytes, tempDir } from './helpers.js';

describe('rekey', () => {
  it('moves every key and version to the new key; the old key no longer opens the file', async () => {
    const cwd = tempDir();
    const store = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    await store.storeKeyPair('a', 'P1', 'Q1');
    await store.storeKeyPair('a', 'P2', 'Q2');
    await store.storeKeyPair('b', 'PB', 'QB');
    const newKey = generateMasterKey();
    await store.rekey(newKey);

    // This store carries on with the new key.
    await store.storeKeyPair('c', 'PC', 'QC');
    const reopened = createFileKeyStore({ cwd, masterKey: newKey, env: {} });
    expect(await reopened.listKeyIds()).toEqual(['a', 'b', 'c']);
    expect((await reopened.getKeyVersions('a')).map((v) => v.privateKey)).toEqual(['P2', 'P1']);
    await expectCode(createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} }).listKeyIds(), 'ACCESS_DENIED');
  });

  it('from a raw key to a passphrase and back, with a fresh salt each time', async () => {
    const cwd = tempDir();
    const store = createFileKeyStore({ cwd, masterKey: RAW_KEY, scrypt: CHEAP_SCRYPT, env: {} });
    await store.storeKeyPair('a', 'PA', 'QA');
    const salt1 = parseHeader(readBytes(store.path), 'f').salt;
    await store.rekey('a long passphrase');
    const header = parseHeader(readBytes(store.path), 'f');
    expect(header.kdf).toEqual({ kind: 'scrypt', ...CHEAP_SCRYPT });
    expect(header.salt).not.toEqual(salt1);
    const withPassphrase = createFileKeyStore({ cwd, masterKey: 'a long passphrase', env: {} });
    expect(await withPassphrase.getPrivateKey('a')).toBe('PA');
    await withPassphrase.rekey(RAW_KEY);
    expect(parseHeader(readBytes(store.path), 'f').kdf).toEqual({ kind: 'none' });
    expect(await createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} }).getPrivateKey('a')).toBe('PA');
  });

  it('with the backup option, <file>.bak keeps the previous generation, re-encrypted under the new key', async () => {
    const cwd = tempDir();
    const store = createFileKeyStore({ cwd, masterKey: RAW_KEY, backup: true, env: {} });
    await store.storeKeyPair('a', 'PA', 'QA');
    const newKey = generateMasterKey();
    await store.rekey(newKey);
    const path = `${store.path}.bak`;
    await expectCode(
      createFileKeyStore({ cwd, path, masterKey: RAW_KEY, env: {} }).listKeyIds(),
      'ACCESS_DENIED',
    );
    expect(await createFileKeyStore({ cwd, path, masterKey: newKey, env: {} }).getPrivateKey('a')).toBe('PA');
  });

  it('re-encrypts an existing <file>.bak even with backup now off, or deletes one that does not open', async () => {
    const cwd = tempDir();
    const withBackup = createFileKeyStore({ cwd, masterKey: RAW_KEY, backup: true, env: {} });
    await withBackup.storeKeyPair('a', 'PA', 'QA');
    await withBackup.storeKeyPair('b', 'PB', 'QB');
    const path = `${withBackup.path}.bak`;
    const store = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    const underOldKey = readBytes(store.path);
    const newKey = generateMasterKey();
    await store.rekey(newKey);
    await expectCode(
      createFileKeyStore({ cwd, path, masterKey: RAW_KEY, env: {} }).listKeyIds(),
      'ACCESS_DENIED',
    );
    // Still the older generation it was.
    expect(await createFileKeyStore({ cwd, path, masterKey: newKey, env: {} }).listKeyIds()).toEqual(['a']);

    // A backup the current key does not open (here: under an even older key) is deleted.
    writeFileSync(path, underOldKey);
    await store.rekey(generateMasterKey());
    expect(existsSync(path)).toBe(false);
  });

  it('refuses when the current key does not open the file, and an invalid new key, changing nothing', async () => {
    const cwd = tempDir();
    await createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} }).storeKeyPair('a', 'PA', 'QA');
    const wrong = createFileKeyStore({ cwd, masterKey: generateMasterKey(), env: {} });
    const before = readBytes(wrong.path);
    await expectCode(wrong.rekey(generateMasterKey()), 'ACCESS_DENIED');
    await expectCode(
      createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} }).rekey('hex:12'),
      'INVALID_CONFIG',
    );
    expect(readBytes(wrong.path)).toEqual(before);
  });
});
