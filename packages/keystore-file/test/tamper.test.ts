// Damaged and hostile files: every single-bit flip and every truncation of a small file is refused with a
// typed error, never decrypted into garbage, and the file is never written over afterwards.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { isKeyStoreError } from '@phlow/keys-core';
import { describe, expect, it } from 'vitest';
import { HEADER_LENGTH } from '../src/format.js';
import { createFileKeyStore, type FileKeyStore } from '../src/index.js';
import { CHEAP_SCRYPT, expectCode, RAW_KEY, readBytes, tempDir } from './helpers.js';

/** Reads and then tries a write; returns the error codes. The file must be byte-identical afterwards. */
async function probe(store: FileKeyStore, bytes: Uint8Array): Promise<string[]> {
  writeFileSync(store.path, bytes);
  const codes: string[] = [];
  for (const attempt of [() => store.getPrivateKey('a'), () => store.storeKeyPair('b', 'p', 'q')]) {
    try {
      await attempt();
      codes.push('none');
    } catch (error) {
      codes.push(isKeyStoreError(error) ? error.code : `crash: ${String(error)}`);
    }
  }
  expect(readBytes(store.path)).toEqual(bytes);
  return codes;
}

async function smallFile(options: { masterKey: string; scrypt?: typeof CHEAP_SCRYPT }) {
  const cwd = tempDir();
  const store = createFileKeyStore({ cwd, path: 'keys.enc', env: {}, ...options });
  await store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
  return { store, original: readBytes(store.path) };
}

describe('damaged files', () => {
  it('every single-bit flip of a small file is INTEGRITY and leaves the file as it was', async () => {
    const { store, original } = await smallFile({ masterKey: RAW_KEY });
    const seen = new Set<string>();
    for (let bit = 0; bit < original.length * 8; bit++) {
      const flipped = original.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      for (const code of await probe(store, flipped)) seen.add(code);
    }
    expect([...seen]).toEqual(['INTEGRITY']);
    writeFileSync(store.path, original);
    expect(await store.getPrivateKey('a')).toBe('PRIVATE a');
  });

  it('every header bit flip of a passphrase file is INTEGRITY (never a KDF run on edited parameters)', async () => {
    const { store, original } = await smallFile({ masterKey: 'a passphrase', scrypt: CHEAP_SCRYPT });
    const seen = new Set<string>();
    for (let bit = 0; bit < HEADER_LENGTH * 8; bit++) {
      const flipped = original.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      for (const code of await probe(store, flipped)) seen.add(code);
    }
    expect([...seen]).toEqual(['INTEGRITY']);
  });

  it('every truncation, and an empty file, is INTEGRITY and leaves the file as it was', async () => {
    const { store, original } = await smallFile({ masterKey: RAW_KEY });
    const seen = new Set<string>();
    for (let length = 0; length < original.length; length++) {
      for (const code of await probe(store, original.slice(0, length))) seen.add(code);
    }
    expect([...seen]).toEqual(['INTEGRITY']);
  });

  it('appended bytes are INTEGRITY', async () => {
    const { store, original } = await smallFile({ masterKey: RAW_KEY });
    const longer = new Uint8Array(original.length + 1);
    longer.set(original);
    expect(await probe(store, longer)).toEqual(['INTEGRITY', 'INTEGRITY']);
  });
});

describe('hostile headers', () => {
  /** A header with the given KDF bytes and a valid checksum, as an attacker would write it. */
  function forge(original: Uint8Array, patch: Record<number, number>): Uint8Array {
    const bytes = original.slice();
    for (const [offset, value] of Object.entries(patch)) bytes[Number(offset)] = value;
    bytes.set(createHash('sha256').update(bytes.subarray(0, 68)).digest().subarray(0, 8), 68);
    return bytes;
  }

  it('refuses out-of-bounds scrypt parameters before deriving anything', async () => {
    const { store, original } = await smallFile({ masterKey: 'a passphrase', scrypt: CHEAP_SCRYPT });
    const patches: Record<number, number>[] = [
      { 9: 40 }, // N = 2^40
      { 9: 20, 10: 255 }, // 128 * 2^20 * 255 bytes
      { 10: 32, 11: 255 }, // p = 255
      { 9: 0 }, // N = 1
      { 10: 0 }, // r = 0
      { 9: 16, 10: 1 }, // within the size bounds, but OpenSSL needs N < 2^(16 r)
      { 9: 20, 10: 1, 11: 1 },
    ];
    for (const patch of patches) {
      const codes = await probe(store, forge(original, patch));
      expect(codes).toEqual(['INTEGRITY', 'INTEGRITY']);
    }
    writeFileSync(store.path, forge(original, { 9: 40 }));
    const error = await expectCode(store.getPrivateKey('a'), 'INTEGRITY');
    expect(error.message).toContain('out of bounds');
  });

  it('an unknown KDF id is INTEGRITY; a newer format version is UNSUPPORTED', async () => {
    const { store, original } = await smallFile({ masterKey: RAW_KEY });
    expect(await probe(store, forge(original, { 8: 7 }))).toEqual(['INTEGRITY', 'INTEGRITY']);
    expect(await probe(store, forge(original, { 7: 2 }))).toEqual(['UNSUPPORTED', 'UNSUPPORTED']);
  });

  it('a forged header with a valid checksum but another salt is caught (key check or AEAD)', async () => {
    const { store, original } = await smallFile({ masterKey: RAW_KEY });
    const codes = await probe(store, forge(original, { 12: original[12]! ^ 1 }));
    for (const code of codes) expect(['ACCESS_DENIED', 'INTEGRITY']).toContain(code);
  });
});
