// The KDF: scrypt N=2^17, r=8, p=1 by default for passphrases, run once per store, never for raw keys.
import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { parseHeader } from '../src/format.js';
import { createFileKeyStore } from '../src/index.js';
import { RAW_KEY, readBytes, tempDir } from './helpers.js';

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
});
