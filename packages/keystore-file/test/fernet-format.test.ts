// `format: 'fernet'`: the store writes what the Python Phlow wrote, so Python agents sharing the file during a
// transition keep reading it. Checked against Python's own `cryptography` package (from the moto virtualenv
// that tooling/services/moto/install.sh installs and caches), not only against our reader.

import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { looksLikeFernet } from '../src/fernet.js';
import { hasMagic } from '../src/format.js';
import { createFileKeyStore, type FileKeyStoreOptions } from '../src/index.js';
import {
  CHEAP_SCRYPT,
  ed25519Pair,
  expectCode,
  RAW_KEY,
  readBytes,
  rsa2048Pair,
  tempDir,
} from './helpers.js';
import { pythonRead, pythonStore, runPython, usePython } from './python.js';

const fixturesDir = join(import.meta.dirname, 'fixtures');
const fixtures = JSON.parse(readFileSync(join(fixturesDir, 'fernet-fixtures.json'), 'utf8')) as {
  fromKey: { file: string; masterKey: string };
  fromPassphrase: { file: string; masterKey: string };
  keys: Record<string, { private_key: string; public_key: string }>;
};
const PASSPHRASE = fixtures.fromPassphrase.masterKey;
/** A Fernet key as Python's `Fernet.generate_key()` makes it; used as is by both sides. */
const FERNET_KEY = fixtures.fromKey.masterKey;

const fernetStore = (options: FileKeyStoreOptions = {}) =>
  createFileKeyStore({ path: 'keys.enc', scrypt: CHEAP_SCRYPT, format: 'fernet', env: {}, ...options });

usePython();

describe("format: 'fernet' (Python Phlow layout on write)", () => {
  it('creates a missing file as one Fernet token, 0600, and reads back every pair and version', async () => {
    const cwd = tempDir();
    const store = fernetStore({ cwd: join(cwd, 'nested'), masterKey: PASSPHRASE });
    const a1 = ed25519Pair();
    const a2 = ed25519Pair();
    await store.storeKeyPair('a', a1.privateKey, a1.publicKey);
    await store.storeKeyPair('a', a2.privateKey, a2.publicKey, { expectedVersion: '1' });
    await store.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
    await store.deleteKeyPair('b');

    const bytes = readBytes(store.path);
    expect(looksLikeFernet(bytes)).toBe(true);
    expect(hasMagic(bytes)).toBe(false);
    expect(Buffer.from(bytes).toString('latin1')).toMatch(/^gAAAAA[A-Za-z0-9_-]+={0,2}$/);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(cwd, 'nested')).mode & 0o777).toBe(0o700);

    const reopened = fernetStore({ cwd: join(cwd, 'nested'), masterKey: PASSPHRASE });
    expect(await reopened.listKeyIds()).toEqual(['a']);
    expect(await reopened.getKeyPair('a')).toMatchObject({ ...a2, version: '2' });
    expect((await reopened.getKeyVersions('a')).map((v) => v.privateKey)).toEqual([
      a2.privateKey,
      a1.privateKey,
    ]);
    await expectCode(reopened.storeKeyPair('a', 'P', 'Q', { expectedVersion: '1' }), 'CONFLICT');
  });

  for (const [label, masterKey] of [
    ['a passphrase (base64url(SHA-256) of it)', PASSPHRASE],
    ['a Fernet key (used as is)', FERNET_KEY],
  ] as const) {
    it(`Python's cryptography decrypts the file, with ${label}, and finds each private_key/public_key`, async () => {
      const store = fernetStore({ cwd: tempDir(), masterKey });
      const rsa = rsa2048Pair();
      const ed = ed25519Pair();
      await store.storeKeyPair('legacy-agent', rsa.privateKey, rsa.publicKey);
      await store.storeKeyPair('edge-agent', 'OLD PRIVATE', 'OLD PUBLIC');
      await store.storeKeyPair('edge-agent', ed.privateKey, ed.publicKey);
      const before = Math.floor(Date.now() / 1000);

      const read = await pythonRead(store.path, masterKey);
      expect(read.keys).toEqual({
        'legacy-agent': { private_key: rsa.privateKey, public_key: rsa.publicKey },
        'edge-agent': { private_key: ed.privateKey, public_key: ed.publicKey },
      });
      // The token's timestamp is the time of the write, as Python's Fernet.encrypt sets it.
      expect(Math.abs(read.timestamp - before)).toBeLessThanOrEqual(5);
    });
  }

  it('a raw base64: key writes with those 32 bytes: Python opens the file with the same key minus the prefix', async () => {
    const urlSafe = RAW_KEY.slice('base64:'.length).replace(/\+/g, '-').replace(/\//g, '_');
    const store = fernetStore({ cwd: tempDir(), masterKey: RAW_KEY });
    await store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
    expect((await pythonRead(store.path, urlSafe)).keys).toEqual({
      a: { private_key: 'PRIVATE a', public_key: 'PUBLIC a' },
    });
  });

  it('a write by a Python agent in between is read, and the next write stays a Fernet token', async () => {
    const store = fernetStore({ cwd: tempDir(), masterKey: PASSPHRASE });
    await store.storeKeyPair('ts-agent', 'PRIVATE ts', 'PUBLIC ts');
    await pythonStore(store.path, PASSPHRASE, 'py-agent', 'PRIVATE py', 'PUBLIC py');

    expect(await store.getKeyPair('py-agent')).toMatchObject({
      privateKey: 'PRIVATE py',
      publicKey: 'PUBLIC py',
      version: '1',
    });
    // Python rewrote the whole map; the version fields it passed through unchanged are still there.
    expect(await store.getKeyPair('ts-agent')).toMatchObject({ privateKey: 'PRIVATE ts', version: '1' });
    await store.storeKeyPair('ts-agent', 'PRIVATE ts 2', 'PUBLIC ts 2');
    expect(looksLikeFernet(readBytes(store.path))).toBe(true);
    expect((await pythonRead(store.path, PASSPHRASE)).keys).toEqual({
      'ts-agent': { private_key: 'PRIVATE ts 2', public_key: 'PUBLIC ts 2' },
      'py-agent': { private_key: 'PRIVATE py', public_key: 'PUBLIC py' },
    });
  });

  it('does not migrate a Python Phlow file: it stays a Fernet token, no .fernet.bak, Python still reads it', async () => {
    const store = fernetStore({ cwd: tempDir(), masterKey: PASSPHRASE });
    copyFileSync(join(fixturesDir, fixtures.fromPassphrase.file), store.path);
    await store.storeKeyPair('new-agent', 'PRIVATE new', 'PUBLIC new');

    expect(looksLikeFernet(readBytes(store.path))).toBe(true);
    expect(existsSync(`${store.path}.fernet.bak`)).toBe(false);
    expect((await pythonRead(store.path, PASSPHRASE)).keys).toEqual({
      ...fixtures.keys,
      'new-agent': { private_key: 'PRIVATE new', public_key: 'PUBLIC new' },
    });
  });

  it('a format-1 file is INVALID_CONFIG on read and write, and is left untouched', async () => {
    const cwd = tempDir();
    const current = createFileKeyStore({ cwd, path: 'keys.enc', masterKey: RAW_KEY, env: {} });
    await current.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
    const before = readBytes(current.path);

    const store = createFileKeyStore({
      cwd,
      path: 'keys.enc',
      env: { PHLOW_MASTER_KEY: RAW_KEY, PHLOW_KEY_STORE_FILE_FORMAT: 'fernet' },
    });
    const error = await expectCode(store.getPrivateKey('a'), 'INVALID_CONFIG');
    expect(error.message).toContain('PHLOW_KEY_STORE_FILE_FORMAT');
    expect(error.message).toContain(store.path);
    await expectCode(store.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b'), 'INVALID_CONFIG');
    await expectCode(store.deleteKeyPair('a'), 'INVALID_CONFIG');
    expect(readBytes(store.path)).toEqual(before);
    expect(existsSync(`${store.path}.bak`)).toBe(false);
  });

  it('a corrupt Fernet file is refused and not written over', async () => {
    const store = fernetStore({ cwd: tempDir(), masterKey: FERNET_KEY, backup: true });
    await store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
    const damaged = readBytes(store.path).slice(0, 150);
    writeFileSync(store.path, damaged);
    await expectCode(store.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b'), 'INTEGRITY');
    expect(readBytes(store.path)).toEqual(damaged);
  });

  it('backup keeps the previous token as <file>.bak, which Python reads too', async () => {
    const store = fernetStore({ cwd: tempDir(), masterKey: PASSPHRASE, backup: true });
    await store.storeKeyPair('a', 'PRIVATE a1', 'PUBLIC a1');
    const first = readBytes(store.path);
    await store.storeKeyPair('a', 'PRIVATE a2', 'PUBLIC a2');
    expect(readBytes(`${store.path}.bak`)).toEqual(first);
    expect((await pythonRead(`${store.path}.bak`, PASSPHRASE)).keys).toEqual({
      a: { private_key: 'PRIVATE a1', public_key: 'PUBLIC a1' },
    });
  });

  it('rekey re-encrypts the token under the new key', async () => {
    const store = fernetStore({ cwd: tempDir(), masterKey: PASSPHRASE });
    await store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
    await store.rekey(FERNET_KEY);
    expect(looksLikeFernet(readBytes(store.path))).toBe(true);
    expect((await pythonRead(store.path, FERNET_KEY)).keys.a?.private_key).toBe('PRIVATE a');
    await expectCode(
      fernetStore({ cwd: dirname(store.path), masterKey: PASSPHRASE }).listKeyIds(),
      'ACCESS_DENIED',
    );
  });

  it('leaving it: without the variable, the next write migrates to format 1 and keeps the token as .fernet.bak', async () => {
    const cwd = tempDir();
    const env = { PHLOW_MASTER_KEY: PASSPHRASE, PHLOW_KEY_STORE_FILE: 'keys.enc' };
    const python = createFileKeyStore({
      cwd,
      scrypt: CHEAP_SCRYPT,
      env: { ...env, PHLOW_KEY_STORE_FILE_FORMAT: 'fernet' },
    });
    await python.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
    const token = readBytes(python.path);

    const store = createFileKeyStore({ cwd, scrypt: CHEAP_SCRYPT, env });
    expect(await store.getPrivateKey('a')).toBe('PRIVATE a');
    await store.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
    expect(hasMagic(readBytes(store.path))).toBe(true);
    expect(readBytes(`${store.path}.fernet.bak`)).toEqual(token);
    expect(await store.getKeyPair('a')).toMatchObject({ privateKey: 'PRIVATE a', version: '1' });
  });

  it("a Python agent's write in place (same inode and size, mtime put back) is seen by a reader holding a cache", async () => {
    const path = join(tempDir(), 'keys.enc');
    await pythonStore(path, FERNET_KEY, 'a', 'PRIVATE one', 'PUBLIC one');
    const reader = fernetStore({ path, masterKey: FERNET_KEY });
    expect(await reader.getPrivateKey('a')).toBe('PRIVATE one');
    expect(await reader.getPrivateKey('a')).toBe('PRIVATE one');
    const before = statSync(path, { bigint: true });
    // The Python Phlow rewrites the file in place (open "wb"); the mtime is then set back to the nanosecond.
    await pythonStore(path, FERNET_KEY, 'a', 'PRIVATE two', 'PUBLIC two');
    await runPython('import os, sys; os.utime(sys.argv[1], ns=(int(sys.argv[2]), int(sys.argv[3])))', [
      path,
      String(before.atimeNs),
      String(before.mtimeNs),
    ]);
    const after = statSync(path, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
    expect(await reader.getPrivateKey('a')).toBe('PRIVATE two');
  });

  describe('configuration', () => {
    it('PHLOW_KEY_STORE_FILE_FORMAT other than phlow or fernet is INVALID_CONFIG naming the variable', () => {
      for (const value of ['Fernet', 'python', 'v1', ' fernet']) {
        let error: unknown;
        try {
          createFileKeyStore({ masterKey: RAW_KEY, env: { PHLOW_KEY_STORE_FILE_FORMAT: value } });
        } catch (e) {
          error = e;
        }
        expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
        expect((error as Error).message).toContain('PHLOW_KEY_STORE_FILE_FORMAT');
      }
    });

    it('an unknown format option is INVALID_CONFIG', () => {
      expect(() => createFileKeyStore({ masterKey: RAW_KEY, format: 'aes' as 'fernet', env: {} })).toThrow(
        /format option/,
      );
    });

    it('the option wins over the variable; empty or unset means phlow', async () => {
      for (const [options, expected] of [
        [{ format: 'phlow', env: { PHLOW_KEY_STORE_FILE_FORMAT: 'fernet' } }, 'phlow'],
        [{ format: 'fernet', env: { PHLOW_KEY_STORE_FILE_FORMAT: 'phlow' } }, 'fernet'],
        [{ env: { PHLOW_KEY_STORE_FILE_FORMAT: 'fernet' } }, 'fernet'],
        [{ env: { PHLOW_KEY_STORE_FILE_FORMAT: '' } }, 'phlow'],
        [{ env: {} }, 'phlow'],
      ] as const) {
        const store = createFileKeyStore({ cwd: tempDir(), masterKey: RAW_KEY, ...options });
        await store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
        expect(looksLikeFernet(readBytes(store.path))).toBe(expected === 'fernet');
        expect(hasMagic(readBytes(store.path))).toBe(expected === 'phlow');
      }
    });
  });
});
