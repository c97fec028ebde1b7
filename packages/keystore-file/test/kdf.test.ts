// The KDF: scrypt N=2^17, r=8, p=1 by default for passphrases, run once per store, never for raw keys.
import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { parseHeader } from '../src/format.js';
import { createFileKeyStore } from '../src/index.js';
import { expectCode, RAW_KEY, readBytes, tempDir } from './helpers.js';

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, scrypt: vi.fn(original.scrypt) };
});

describe('key derivation', () => {
  it('a passphrase uses scrypt N=2^17, r=8, p=1 by default, derived once for many reads and writes', async () => {
    const scrypt = vi.mocked(crypto.scrypt);
    scrypt.mockClear();
    const store = createFileKeyStore({ cwd: tempDir(), masterKey: 'correct horse battery staple', env: {} });
    await store.storeKeyPair('a', 'PA', 'QA');
    for (let i = 0; i < 5; i++) {
      await store.storeKeyPair(`k${i}`, 'P', 'Q');
      await store.getPrivateKey('a');
    }
    expect(parseHeader(readBytes(store.path), 'f').kdf).toEqual({ kind: 'scrypt', logN: 17, r: 8, p: 1 });
    expect(scrypt).toHaveBeenCalledTimes(1);
  });

  it('a raw key never runs scrypt', async () => {
    const scrypt = vi.mocked(crypto.scrypt);
    scrypt.mockClear();
    const store = createFileKeyStore({ cwd: tempDir(), masterKey: RAW_KEY, env: {} });
    await store.storeKeyPair('a', 'PA', 'QA');
    expect(await store.getPrivateKey('a')).toBe('PA');
    expect(scrypt).not.toHaveBeenCalled();
  });

  it('parameters OpenSSL refuses (r = 1 with logN 16..20) are INVALID_CONFIG, never a raw RangeError', async () => {
    for (let logN = 16; logN <= 20; logN++) {
      const scrypt = { logN, r: 1, p: 1 };
      expect(() => createFileKeyStore({ masterKey: 'a passphrase', scrypt, env: {} })).toThrow(
        expect.objectContaining({ name: 'KeyStoreError', code: 'INVALID_CONFIG' }),
      );
      const store = createFileKeyStore({ cwd: tempDir(), masterKey: 'a passphrase', env: {} });
      const error = await expectCode(store.rekey('another passphrase', { scrypt }), 'INVALID_CONFIG');
      expect(error.message).toContain('N < 2^(16 r)');
    }
    // The edge that OpenSSL accepts still works.
    const store = createFileKeyStore({
      cwd: tempDir(),
      masterKey: 'a passphrase',
      scrypt: { logN: 15, r: 1, p: 1 },
      env: {},
    });
    await store.storeKeyPair('a', 'PA', 'QA');
    expect(parseHeader(readBytes(store.path), 'f').kdf).toEqual({ kind: 'scrypt', logN: 15, r: 1, p: 1 });
  });
});
