/**
 * Activation times per version (capability `activation`, contract 1.2): the `activatesAt` a rotation fixes is
 * kept with its version, in format 1 and in the Python Phlow's Fernet layout, and read back on every read
 * (ms precision). Versions written without one (by Python, or an older phlow-keys) read without it, and so does
 * an unparseable stored value. Python agents keep reading a file that carries the field (its reader takes
 * private_key/public_key and ignores the rest), checked with Python's own `cryptography`.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileKeyStore, type FileKeyStoreOptions } from '../src/index.js';
import { entryVersions, parsePayload } from '../src/payload.js';
import { CHEAP_SCRYPT, ed25519Pair, expectCode, RAW_KEY, tempDir } from './helpers.js';
import { pythonRead, pythonStore, usePython } from './python.js';

const fixturesDir = join(import.meta.dirname, 'fixtures');
const fixtures = JSON.parse(readFileSync(join(fixturesDir, 'fernet-fixtures.json'), 'utf8')) as {
  fromPassphrase: { file: string; masterKey: string };
  keys: Record<string, { private_key: string; public_key: string }>;
};
const PASSPHRASE = fixtures.fromPassphrase.masterKey;

usePython();

// Millisecond precision on purpose: the AWS store once lost the sub-second part (issue 18).
const T1 = new Date('2026-12-07T06:00:00.123Z');
const T2 = new Date('2026-12-07T06:05:00.456Z');

for (const format of ['phlow', 'fernet'] as const) {
  const open = (cwd: string, options: FileKeyStoreOptions = {}) =>
    createFileKeyStore({
      cwd,
      path: 'keys.enc',
      masterKey: format === 'fernet' ? PASSPHRASE : RAW_KEY,
      scrypt: CHEAP_SCRYPT,
      format,
      env: {},
      ...options,
    });

  describe(`activatesAt in format ${format}`, () => {
    it('declares activation, and each version keeps its own activatesAt across reopening', async () => {
      const cwd = tempDir();
      const store = open(cwd);
      expect(store.capabilities.activation).toBe(true);
      const [a, b, c] = [ed25519Pair(), ed25519Pair(), ed25519Pair()];
      await store.storeKeyPair('agent', a.privateKey, a.publicKey, {
        expectedVersion: null,
        activatesAt: T1,
      });
      await store.storeKeyPair('agent', b.privateKey, b.publicKey, { expectedVersion: '1', activatesAt: T2 });
      await store.storeKeyPair('other', c.privateKey, c.publicKey);

      const reopened = open(cwd);
      const pair = await reopened.getKeyPair('agent');
      expect(pair?.activatesAt).toEqual(T2);
      expect(pair).toMatchObject({ publicKey: b.publicKey, version: '2' });
      const versions = await reopened.getKeyVersions('agent');
      expect(versions.map((v) => [v.version, v.activatesAt?.toISOString()])).toEqual([
        ['2', T2.toISOString()],
        ['1', T1.toISOString()],
      ]);
      // Written without one: read without one.
      expect((await reopened.getKeyPair('other'))?.activatesAt).toBeUndefined();
      expect('activatesAt' in (await reopened.getKeyVersions('other'))[0]!).toBe(false);
    });

    it('an invalid activatesAt is INVALID_CONFIG and writes nothing', async () => {
      const store = open(tempDir());
      const a = ed25519Pair();
      await expectCode(
        store.storeKeyPair('agent', a.privateKey, a.publicKey, { activatesAt: new Date(Number.NaN) }),
        'INVALID_CONFIG',
      );
      expect(await store.getKeyPair('agent')).toBeNull();
    });
  });
}

describe('Python agents and activatesAt (Fernet layout)', () => {
  const fernet = (cwd: string) =>
    createFileKeyStore({ cwd, path: 'keys.enc', masterKey: PASSPHRASE, format: 'fernet', env: {} });

  it('Python reads a file whose versions carry activates_at; a pair Python rewrites reads without it', async () => {
    const store = fernet(tempDir());
    const a = ed25519Pair();
    await store.storeKeyPair('ts-agent', a.privateKey, a.publicKey, { activatesAt: T1 });
    await store.storeKeyPair('py-agent', 'PRIVATE 1', 'PUBLIC 1', { activatesAt: T2 });
    expect((await pythonRead(store.path, PASSPHRASE)).keys).toEqual({
      'ts-agent': { private_key: a.privateKey, public_key: a.publicKey },
      'py-agent': { private_key: 'PRIVATE 1', public_key: 'PUBLIC 1' },
    });
    // Python replaces its entry with the two PEM fields only: that version has no activation time, the
    // others keep theirs.
    await pythonStore(store.path, PASSPHRASE, 'py-agent', 'PRIVATE py', 'PUBLIC py');
    expect(await store.getKeyPair('py-agent')).toMatchObject({ privateKey: 'PRIVATE py' });
    expect((await store.getKeyPair('py-agent'))?.activatesAt).toBeUndefined();
    expect((await store.getKeyPair('ts-agent'))?.activatesAt).toEqual(T1);
  });

  it('a Python Phlow file (fixture) still reads, its versions without activatesAt', async () => {
    const store = fernet(tempDir());
    copyFileSync(join(fixturesDir, fixtures.fromPassphrase.file), store.path);
    for (const [keyId, pair] of Object.entries(fixtures.keys)) {
      const read = await store.getKeyPair(keyId);
      expect(read).toMatchObject({ privateKey: pair.private_key, publicKey: pair.public_key });
      expect(read?.activatesAt).toBeUndefined();
    }
  });
});

describe('a stored activates_at that is not a time', () => {
  it('reads as absent (the timeline falls back to its rule for versions without one)', () => {
    const payload = {
      a: {
        private_key: 'P',
        public_key: 'Q',
        version: '2',
        created_at: T2.toISOString(),
        activates_at: 'next tuesday',
        previous: [
          {
            private_key: 'P1',
            public_key: 'Q1',
            version: '1',
            created_at: T1.toISOString(),
            activates_at: 42,
          },
        ],
      },
    };
    const map = parsePayload(new TextEncoder().encode(JSON.stringify(payload)), 'keys.enc', new Date());
    const versions = entryVersions(map.get('a')!);
    expect(versions.map((v) => v.version)).toEqual(['2', '1']);
    expect(versions.map((v) => 'activatesAt' in v)).toEqual([false, false]);
  });
});
