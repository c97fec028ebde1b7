// Hostile inputs: paths naming devices, FIFOs and huge files, and PEMs of any size. Every one ends in a
// clear INVALID_CONFIG / INVALID_KEY instead of a hang or memory growth, and nothing is written.
import { execFileSync } from 'node:child_process';
import { symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileKeyStore } from '../src/index.js';
import { MAX_PEM_BYTES } from '../src/store.js';
import { expectCode, RAW_KEY, readBytes, rsa2048Pair, tempDir } from './helpers.js';

describe('bounded inputs', () => {
  it('a key file path naming /dev/zero, a FIFO or a directory is INVALID_CONFIG at once', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const link = join(dir, 'link-to-zero');
    symlinkSync('/dev/zero', link);
    for (const [file, kind] of [
      ['/dev/zero', 'a device'],
      [fifo, 'a FIFO'],
      [link, 'a device'],
      [dir, 'a directory'],
    ] as const) {
      const store = createFileKeyStore({ masterKey: RAW_KEY, env: { PHLOW_KEY_STORE_FILE: file } });
      const error = await expectCode(store.listKeyIds(), 'INVALID_CONFIG');
      expect(error.message).toContain(`${file} is ${kind}`);
      await expectCode(store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a'), 'INVALID_CONFIG');
    }
  });

  it('a master key file naming /dev/zero, a FIFO or a file over 64 KiB is INVALID_CONFIG', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const big = join(dir, 'big.key');
    writeFileSync(big, 'x'.repeat(64 * 1024 + 1), { mode: 0o600 });
    for (const [file, text] of [
      ['/dev/zero', 'not a regular file'],
      [fifo, 'not a regular file'],
      [big, 'larger than 65536 bytes'],
    ] as const) {
      const store = createFileKeyStore({ cwd: dir, env: { PHLOW_MASTER_KEY_FILE: file } });
      const error = await expectCode(store.listKeyIds(), 'INVALID_CONFIG');
      expect(error.message).toContain(text);
      expect(error.message).not.toContain('xxxx');
    }
  });

  it('a key file over maxFileBytes is refused on read, naming the setting; the env variable raises it', async () => {
    const cwd = tempDir();
    const store = createFileKeyStore({ cwd, masterKey: RAW_KEY, env: {} });
    await store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
    const size = readBytes(store.path).length;
    const small = createFileKeyStore({ cwd, masterKey: RAW_KEY, maxFileBytes: size - 1, env: {} });
    const error = await expectCode(small.listKeyIds(), 'INVALID_CONFIG');
    expect(error.message).toContain('maxFileBytes (PHLOW_KEY_STORE_FILE_MAX_BYTES)');
    const fromEnv = createFileKeyStore({
      cwd,
      masterKey: RAW_KEY,
      env: { PHLOW_KEY_STORE_FILE_MAX_BYTES: String(size - 1) },
    });
    await expectCode(fromEnv.listKeyIds(), 'INVALID_CONFIG');
    const raised = createFileKeyStore({
      cwd,
      masterKey: RAW_KEY,
      env: { PHLOW_KEY_STORE_FILE_MAX_BYTES: String(size) },
    });
    expect(await raised.listKeyIds()).toEqual(['a']);
    expect(() =>
      createFileKeyStore({ masterKey: RAW_KEY, env: { PHLOW_KEY_STORE_FILE_MAX_BYTES: 'lots' } }),
    ).toThrow(/PHLOW_KEY_STORE_FILE_MAX_BYTES/);
  });

  it('a sparse key file of 1 GiB is refused from its size, without reading it', async () => {
    const cwd = tempDir();
    const path = join(cwd, 'keys.enc');
    writeFileSync(path, '');
    truncateSync(path, 1024 ** 3);
    const store = createFileKeyStore({ path, masterKey: RAW_KEY, env: {} });
    const error = await expectCode(store.listKeyIds(), 'INVALID_CONFIG');
    expect(error.message).toContain('larger than 67108864 bytes');
  });

  it('a write that would grow the file past maxFileBytes is refused and changes nothing', async () => {
    const cwd = tempDir();
    const store = createFileKeyStore({ cwd, masterKey: RAW_KEY, maxFileBytes: 1024, env: {} });
    await store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
    const before = readBytes(store.path);
    const { privateKey, publicKey } = rsa2048Pair();
    const error = await expectCode(store.storeKeyPair('b', privateKey, publicKey), 'INVALID_CONFIG');
    expect(error.message).toContain('maxFileBytes');
    expect(readBytes(store.path)).toEqual(before);
    expect(await store.listKeyIds()).toEqual(['a']);
  });

  it(`a PEM over ${MAX_PEM_BYTES} bytes is INVALID_KEY and is not stored; an RSA-2048 pair is`, async () => {
    const store = createFileKeyStore({ cwd: tempDir(), masterKey: RAW_KEY, env: {} });
    const huge = `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(MAX_PEM_BYTES)}\n-----END PRIVATE KEY-----\n`;
    const error = await expectCode(store.storeKeyPair('a', huge, 'PUBLIC a'), 'INVALID_KEY');
    expect(error.message).not.toContain('AAAA');
    await expectCode(store.storeKeyPair('a', 'PRIVATE a', huge), 'INVALID_KEY');
    expect(await store.listKeyIds()).toEqual([]);
    const { privateKey, publicKey } = rsa2048Pair();
    await store.storeKeyPair('rsa', privateKey, publicKey);
    expect((await store.getKeyPair('rsa'))?.privateKey).toBe(privateKey);
  });
});
