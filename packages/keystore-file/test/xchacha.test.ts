/**
 * The file format's XChaCha20-Poly1305 on node:crypto (src/xchacha.ts) against @noble/ciphers' implementation,
 * which wrote every file before it: the same bytes both ways on random inputs (so old files open and new files
 * open with older versions), the draft's HChaCha20 vector, and refusal of any changed byte.
 */
import { randomBytes } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { describe, expect, it } from 'vitest';
import { hchacha20, xchachaOpen, xchachaSeal } from '../src/xchacha.js';

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
