// Behaviour of the store beyond the shared suite: restart, configuration, versions, wrong keys, backups,
// permissions and the payload layout the Python Phlow understood.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { open, parseHeader } from '../src/format.js';
import { createFileKeyStore, DEFAULT_FILE, generateMasterKey } from '../src/index.js';
import { fileKeys } from '../src/kdf.js';
import { parseMasterKey } from '../src/master-key.js';
import { ed25519Pair, expectCode, RAW_KEY, readBytes, rsa2048Pair, tempDir } from './helpers.js';

const rawBytes = (key: string) => {
  const parsed = parseMasterKey(key, 'test');
  if (parsed.kind !== 'raw') throw new Error('not raw');
  return parsed.key;
};

/** Decrypts a key file with a raw key the way an independent reader would. */
function decryptRaw(path: string, key: string): Record<string, Record<string, unknown>> {
  const bytes = readBytes(path);
  const header = parseHeader(bytes, path);
  const keys = fileKeys(rawBytes(key), header.salt);
  return JSON.parse(new TextDecoder().decode(open(bytes, header, keys.encryptionKey, path)));
}

describe('encrypted_file store', () => {
  it('keeps keys across a restart (a new store instance on the same file)', async () => {
    const cwd = tempDir();
    const pair = ed25519Pair();
    const first = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    await first.storeKeyPair('agent', pair.privateKey, pair.publicKey);
    await first.close();

    const second = createFileKeyStore({ cwd, env: { PHLOW_MASTER_KEY: RAW_KEY } });
    expect(second.path).toBe(join(cwd, DEFAULT_FILE));
    expect(await second.getKeyPair('agent')).toMatchObject({ ...pair, version: '1' });
    expect(await second.listKeyIds()).toEqual(['agent']);
  });

  it('writes the original layout, plus version metadata, inside the encryption', async () => {
    const cwd = tempDir();
    const store = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    const rsa = rsa2048Pair();
    await store.storeKeyPair('legacy', rsa.privateKey, rsa.publicKey);
    const payload = decryptRaw(store.path, RAW_KEY);
    expect(payload.legacy).toMatchObject({
      private_key: rsa.privateKey,
      public_key: rsa.publicKey,
      version: '1',
    });
    expect(readFileSync(store.path).includes('PRIVATE KEY')).toBe(false);
  });

  it('works with a bare file name and no directory', async () => {
    const cwd = tempDir();
    const store = createFileKeyStore({
      cwd,
      env: { PHLOW_KEY_STORE_FILE: 'keys.enc', PHLOW_MASTER_KEY: RAW_KEY },
    });
    await store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
    expect(store.path).toBe(join(cwd, 'keys.enc'));
    expect(await createFileKeyStore({ cwd, path: 'keys.enc', masterKey: RAW_KEY }).getPublicKey('a')).toBe(
      'PUBLIC a',
    );
  });

  it('sees a write made by another store instance at once', async () => {
    const cwd = tempDir();
    const reader = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    const writer = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    // Same-length values written in quick succession: metadata-based caching could miss these.
    for (let i = 0; i < 20; i++) {
      await writer.storeKeyPair('k', `PRIVATE ${i % 10}`, `PUBLIC ${i % 10}`);
      expect(await reader.getPrivateKey('k')).toBe(`PRIVATE ${i % 10}`);
    }
  });

  it('keeps versions newest first, honours expectedVersion, and refuses to exceed maxVersions', async () => {
    const store = createFileKeyStore({ cwd: tempDir(), masterKey: RAW_KEY, maxVersions: 3, env: {} });
    await store.storeKeyPair('k', 'P1', 'Q1', { expectedVersion: null });
    await expectCode(store.storeKeyPair('k', 'P1', 'Q1', { expectedVersion: null }), 'CONFLICT');
    for (let i = 2; i <= 3; i++)
      await store.storeKeyPair('k', `P${i}`, `Q${i}`, { expectedVersion: String(i - 1) });
    await expectCode(store.storeKeyPair('k', 'P', 'Q', { expectedVersion: '2' }), 'CONFLICT');
    // A fourth version would drop version 1, replaced moments ago: refused, naming the settings.
    const before = readBytes(store.path);
    const error = await expectCode(
      store.storeKeyPair('k', 'P4', 'Q4', { expectedVersion: '3' }),
      'INVALID_CONFIG',
    );
    expect(error.message).toContain('maxVersions (3, PHLOW_KEY_STORE_MAX_VERSIONS)');
    expect(error.message).toContain('PHLOW_KEY_VERSION_RETENTION_SECONDS');
    expect(readBytes(store.path)).toEqual(before);
    const versions = await store.getKeyVersions('k');
    expect(versions.map((v) => [v.version, v.privateKey, v.current])).toEqual([
      ['3', 'P3', true],
      ['2', 'P2', false],
      ['1', 'P1', false],
    ]);
    expect(versions[0]!.createdAt).toBeInstanceOf(Date);
  });

  it('never reuses a version number: a CAS with a version read before a delete fails on the re-created id', async () => {
    const cwd = tempDir();
    const store = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    await store.storeKeyPair('k', 'P1', 'Q1');
    await store.storeKeyPair('k', 'P2', 'Q2');
    const seen = (await store.getKeyPair('k'))!.version;
    expect(seen).toBe('2');
    await store.deleteKeyPair('k', { destroy: true });
    await store.storeKeyPair('k', 'P3', 'Q3', { expectedVersion: null });
    await expectCode(store.storeKeyPair('k', 'P', 'Q', { expectedVersion: seen }), 'CONFLICT');
    expect((await store.getKeyPair('k'))!).toMatchObject({ privateKey: 'P3', version: '3' });
    // Remembered in the file, not in this process.
    await store.deleteKeyPair('k');
    const reopened = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    expect(await reopened.listKeyIds()).toEqual([]);
    await reopened.storeKeyPair('k', 'P4', 'Q4');
    expect((await reopened.getKeyPair('k'))!.version).toBe('4');
  });

  it('deleting a missing id neither fails nor creates a file', async () => {
    const store = createFileKeyStore({ cwd: tempDir(), masterKey: RAW_KEY, env: {} });
    await store.deleteKeyPair('nothing');
    expect(existsSync(store.path)).toBe(false);
    expect(await store.getKeyVersions('nothing')).toEqual([]);
  });

  it('refuses invalid key ids before touching the file', async () => {
    const cwd = tempDir();
    // The master key file does not exist: an id check that ran later would fail with INVALID_CONFIG.
    const store = createFileKeyStore({ cwd, masterKeyFile: 'missing.key', env: {} });
    await expectCode(store.getPrivateKey('../etc/passwd'), 'INVALID_KEY_ID');
    await expectCode(store.storeKeyPair('a b', 'p', 'q'), 'INVALID_KEY_ID');
  });

  describe('configuration', () => {
    it('a missing master key is INVALID_CONFIG naming both variables', () => {
      let error: unknown;
      try {
        createFileKeyStore({ cwd: tempDir(), env: { PHLOW_MASTER_KEY: '' } });
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
      expect((error as Error).message).toContain('PHLOW_MASTER_KEY ');
      expect((error as Error).message).toContain('PHLOW_MASTER_KEY_FILE');
    });

    it('PHLOW_MASTER_KEY wins over PHLOW_MASTER_KEY_FILE, and options win over the environment', async () => {
      const cwd = tempDir();
      const env = { PHLOW_MASTER_KEY: RAW_KEY, PHLOW_MASTER_KEY_FILE: 'does-not-exist.key' };
      await createFileKeyStore({ cwd, env }).storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
      const other = generateMasterKey();
      const fromOption = createFileKeyStore({ cwd, path: 'other.enc', masterKey: other, env });
      await fromOption.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
      expect(await createFileKeyStore({ cwd, path: 'other.enc', masterKey: other }).listKeyIds()).toEqual([
        'b',
      ]);
      expect(await createFileKeyStore({ cwd, masterKey: RAW_KEY }).listKeyIds()).toEqual(['a']);
    });

    it('reads the master key from a file, ignoring a trailing newline', async () => {
      const cwd = tempDir();
      writeFileSync(join(cwd, 'master.key'), `${RAW_KEY}\n`, { mode: 0o600 });
      const store = createFileKeyStore({ cwd, env: { PHLOW_MASTER_KEY_FILE: 'master.key' } });
      await store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
      expect(await createFileKeyStore({ cwd, masterKey: RAW_KEY }).getPrivateKey('a')).toBe('PRIVATE a');
    });

    it('a master key file that does not exist is INVALID_CONFIG on first use', async () => {
      const store = createFileKeyStore({
        cwd: tempDir(),
        env: { PHLOW_MASTER_KEY_FILE: '.phlow/master.key' },
      });
      const error = await expectCode(store.getPrivateKey('a'), 'INVALID_CONFIG');
      expect(error.message).toContain('master.key');
    });

    it('rejects out-of-bounds options', () => {
      expect(() => createFileKeyStore({ masterKey: RAW_KEY, maxVersions: 0, env: {} })).toThrow(
        /maxVersions/,
      );
      expect(() => createFileKeyStore({ masterKey: RAW_KEY, scrypt: { logN: 30 }, env: {} })).toThrow(
        /scrypt/,
      );
      expect(() =>
        createFileKeyStore({ masterKey: RAW_KEY, env: { PHLOW_KEY_STORE_BACKUP: 'maybe' } }),
      ).toThrow(/PHLOW_KEY_STORE_BACKUP/);
    });
  });

  describe('a wrong master key', () => {
    it('is ACCESS_DENIED on read and write, and leaves the file untouched', async () => {
      const cwd = tempDir();
      const store = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
      await store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
      const before = readBytes(store.path);

      const wrong = createFileKeyStore({ cwd, masterKey: generateMasterKey(), env: {} });
      const error = await expectCode(wrong.getPrivateKey('a'), 'ACCESS_DENIED');
      expect(error.message).toContain('PHLOW_MASTER_KEY');
      await expectCode(wrong.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b'), 'ACCESS_DENIED');
      await expectCode(wrong.deleteKeyPair('a'), 'ACCESS_DENIED');
      expect(readBytes(store.path)).toEqual(before);
    });

    it('a passphrase for a file made with a raw key says so', async () => {
      const cwd = tempDir();
      await createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} }).storeKeyPair('a', 'p', 'q');
      const error = await expectCode(
        createFileKeyStore({ cwd, masterKey: 'a passphrase', env: {} }).listKeyIds(),
        'ACCESS_DENIED',
      );
      expect(error.message).toContain('raw');
    });
  });

  describe('backups', () => {
    it('keeps the previous generation as <file>.bak when asked', async () => {
      const cwd = tempDir();
      const store = createFileKeyStore({ cwd, masterKey: RAW_KEY, backup: true, env: {} });
      await store.storeKeyPair('a', 'P1', 'Q1');
      const first = readBytes(store.path);
      await store.storeKeyPair('a', 'P2', 'Q2');
      expect(readBytes(`${store.path}.bak`)).toEqual(first);
      const backup = createFileKeyStore({ cwd, path: `${DEFAULT_FILE}.bak`, masterKey: RAW_KEY, env: {} });
      expect(await backup.getPrivateKey('a')).toBe('P1');
    });

    it('a destroyed key does not survive in the backup', async () => {
      const cwd = tempDir();
      const store = createFileKeyStore({
        cwd,
        env: { PHLOW_MASTER_KEY: RAW_KEY, PHLOW_KEY_STORE_BACKUP: 'true' },
      });
      await store.storeKeyPair('a', 'PA', 'QA');
      await store.storeKeyPair('b', 'PB', 'QB');
      await store.deleteKeyPair('a', { destroy: true });
      const backup = createFileKeyStore({ cwd, path: `${DEFAULT_FILE}.bak`, masterKey: RAW_KEY, env: {} });
      expect(await backup.listKeyIds()).toEqual(['b']);
    });

    it('destroy cleans an existing <file>.bak even with backup now off', async () => {
      const cwd = tempDir();
      const withBackup = createFileKeyStore({ cwd, masterKey: RAW_KEY, backup: true, env: {} });
      await withBackup.storeKeyPair('a', 'PA', 'QA');
      await withBackup.storeKeyPair('b', 'PB', 'QB');
      await withBackup.storeKeyPair('c', 'PC', 'QC');
      const bak = `${withBackup.path}.bak`;
      const openBackup = () => createFileKeyStore({ cwd, path: bak, masterKey: RAW_KEY, env: {} });
      expect(await openBackup().listKeyIds()).toEqual(['a', 'b']);

      const store = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
      await store.deleteKeyPair('a', { destroy: true });
      // The backup keeps its generation, without the destroyed id.
      expect(await openBackup().listKeyIds()).toEqual(['b']);
      // An id already gone from the file but still in the backup: destroy removes it there.
      await store.deleteKeyPair('b');
      expect(await openBackup().listKeyIds()).toEqual(['b']);
      await store.deleteKeyPair('b', { destroy: true });
      expect(await openBackup().listKeyIds()).toEqual([]);

      // A backup that does not open with the current key cannot be cleaned: it is deleted.
      writeFileSync(
        bak,
        readBytes(store.path).map((byte, i) => (i === 60 ? byte ^ 1 : byte)),
      );
      await store.deleteKeyPair('c', { destroy: true });
      expect(existsSync(bak)).toBe(false);
    });
  });

  describe('permissions', () => {
    it('creates the file 0600 and its new directory 0700', async () => {
      const store = createFileKeyStore({ cwd: tempDir(), masterKey: RAW_KEY, env: {} });
      await store.storeKeyPair('a', 'p', 'q');
      expect(statSync(store.path).mode & 0o777).toBe(0o600);
      expect(statSync(join(store.path, '..')).mode & 0o777).toBe(0o700);
      expect(existsSync(`${store.path}.lock`)).toBe(false);
    });

    it('warns once when the key file or the master key file is readable by others', async () => {
      const cwd = tempDir();
      const onWarning = vi.fn();
      await createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} }).storeKeyPair('a', 'p', 'q');
      const path = join(cwd, DEFAULT_FILE);
      chmodSync(path, 0o644);
      writeFileSync(join(cwd, 'master.key'), RAW_KEY, { mode: 0o644 });
      chmodSync(join(cwd, 'master.key'), 0o644);
      const store = createFileKeyStore({ cwd, masterKeyFile: 'master.key', onWarning, env: {} });
      for (let i = 0; i < 3; i++) await store.getPrivateKey('a');
      expect(onWarning).toHaveBeenCalledTimes(2);
      expect(onWarning.mock.calls.map(([m]) => String(m)).join('\n')).toMatch(/chmod 600 .*keys\.enc/);
      // A write replaces the file with a private one; no more warnings are due.
      await store.storeKeyPair('b', 'p', 'q');
      expect(statSync(path).mode & 0o777).toBe(0o600);
    });
  });
});
