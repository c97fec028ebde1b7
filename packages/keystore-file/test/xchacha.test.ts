/**
 * The file format's XChaCha20-Poly1305 on node:crypto (src/xchacha.ts) against @noble/ciphers' implementation,
 * which wrote every file before it: the same bytes both ways on random inputs (so old files open and new files
 * open with older versions), the draft's HChaCha20 vector, and refusal of any changed byte.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { describe, expect, it } from 'vitest';
import { encodeHeader, HEADER_LENGTH, NONCE_LENGTH, parseHeader, SALT_LENGTH } from '../src/format.js';
import { createFileKeyStore } from '../src/index.js';
import { fileKeys } from '../src/kdf.js';
import { parseMasterKey } from '../src/master-key.js';
import { hchacha20, xchachaOpen, xchachaSeal } from '../src/xchacha.js';
import { RAW_KEY, readBytes, tempDir } from './helpers.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/[\s:]/g, ''), 'hex'));
const bytes = (n: number) => new Uint8Array(randomBytes(n));

describe('XChaCha20-Poly1305 on node:crypto', () => {
  it('HChaCha20 gives the subkey of draft-irtf-cfrg-xchacha section 2.2.1', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const nonce = hex('000000090000004a0000000031415927');
    expect(Buffer.from(hchacha20(key, nonce)).toString('hex')).toBe(
      '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc',
    );
  });

  it('writes and reads exactly what @noble/ciphers writes and reads (200 random cases, 0 B to 64 KiB)', () => {
    for (let i = 0; i < 200; i++) {
      const key = bytes(32);
      const nonce = bytes(24);
      const aad = bytes(i % 97);
      const plaintext = bytes(i === 199 ? 65536 : (i * 37) % 1500);
      const ours = xchachaSeal(key, nonce, aad, plaintext);
      const noble = xchacha20poly1305(key, nonce, aad).encrypt(plaintext);
      expect(Buffer.from(ours).equals(Buffer.from(noble))).toBe(true);
      expect(Buffer.from(xchachaOpen(key, nonce, aad, noble)).equals(Buffer.from(plaintext))).toBe(true);
      expect(
        Buffer.from(xchacha20poly1305(key, nonce, aad).decrypt(ours)).equals(Buffer.from(plaintext)),
      ).toBe(true);
    }
  });

  it('refuses a changed byte of the ciphertext, the tag or the authenticated header, and a short input', () => {
    const key = bytes(32);
    const nonce = bytes(24);
    const aad = bytes(68);
    const sealed = xchachaSeal(key, nonce, aad, bytes(100));
    for (const at of [0, 50, 99, 100, 115]) {
      const changed = sealed.slice();
      changed[at]! ^= 1;
      expect(() => xchachaOpen(key, nonce, aad, changed), `byte ${at}`).toThrow();
    }
    const otherAad = aad.slice();
    otherAad[3]! ^= 0x80;
    expect(() => xchachaOpen(key, nonce, otherAad, sealed)).toThrow();
    expect(() => xchachaOpen(key, nonce, aad, sealed.subarray(0, 15))).toThrow();
    expect(() => xchachaOpen(bytes(32), nonce, aad, sealed)).toThrow();
  });
});

describe('whole key files, against @noble/ciphers as the versions before native sealing ran it', () => {
  const rawKey = (masterKey: string) => {
    const parsed = parseMasterKey(masterKey, 'test');
    if (parsed.kind !== 'raw') throw new Error('a raw key expected');
    return parsed.key;
  };

  it('a file this version writes opens with @noble/ciphers (new files open with older versions)', async () => {
    const path = join(tempDir(), 'keys.enc');
    await createFileKeyStore({ path, masterKey: RAW_KEY, env: {} }).storeKeyPair(
      'a',
      'PRIVATE a',
      'PUBLIC a',
    );
    const file = readBytes(path);
    const header = parseHeader(file, path);
    const { encryptionKey } = fileKeys(rawKey(RAW_KEY), header.salt);
    const plaintext = xchacha20poly1305(encryptionKey, header.nonce, file.subarray(0, HEADER_LENGTH)).decrypt(
      file.subarray(HEADER_LENGTH),
    );
    const payload = JSON.parse(Buffer.from(plaintext).toString('utf8')) as Record<
      string,
      { private_key: string }
    >;
    expect(payload.a?.private_key).toBe('PRIVATE a');
  });

  it('a file sealed with @noble/ciphers opens with this version (old files open with new versions)', async () => {
    const path = join(tempDir(), 'keys.enc');
    const salt = bytes(SALT_LENGTH);
    const keys = fileKeys(rawKey(RAW_KEY), salt);
    const head = encodeHeader({
      kdf: { kind: 'none' },
      salt,
      nonce: bytes(NONCE_LENGTH),
      keyCheck: keys.keyCheck,
    });
    const payload = { a: { private_key: 'PRIVATE a', public_key: 'PUBLIC a' } };
    const body = xchacha20poly1305(keys.encryptionKey, head.subarray(28, 52), head).encrypt(
      new TextEncoder().encode(JSON.stringify(payload)),
    );
    writeFileSync(path, Buffer.concat([head, body]), { mode: 0o600 });
    const store = createFileKeyStore({ path, masterKey: RAW_KEY, env: {} });
    expect(await store.getPrivateKey('a')).toBe('PRIVATE a');
  });
});
