/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) on node:crypto's native ChaCha20-Poly1305: the 24-byte nonce the
 * file format keeps is turned into a subkey with HChaCha20 (its first 16 bytes) and a 12-byte nonce (four zero
 * bytes, then its last 8), which node:crypto's AEAD takes. Same bytes as @noble/ciphers' xchacha20poly1305 (the
 * tests compare both on random inputs and check the draft's HChaCha20 vector), so files written before and after
 * read both ways; native sealing is several times faster on large files, and the store no longer imports a
 * cipher library at start-up.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const XCHACHA_NONCE_LENGTH = 24;
export const XCHACHA_TAG_LENGTH = 16;

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

function readWords(bytes: Uint8Array, into: Uint32Array, at: number, count: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) into[at + i] = view.getUint32(i * 4, true);
}

/** HChaCha20: a 32-byte subkey from a 32-byte key and a 16-byte nonce. */
export function hchacha20(key: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (key.length !== 32 || nonce.length !== 16)
    throw new RangeError('hchacha20: a 32-byte key and a 16-byte nonce');
  const s = new Uint32Array(16);
  s[0] = 0x61707865;
  s[1] = 0x3320646e;
  s[2] = 0x79622d32;
  s[3] = 0x6b206574;
  readWords(key, s, 4, 8);
  readWords(nonce, s, 12, 4);
  const qr = (a: number, b: number, c: number, d: number) => {
    s[a] = (s[a]! + s[b]!) | 0;
    s[d] = rotl(s[d]! ^ s[a]!, 16);
    s[c] = (s[c]! + s[d]!) | 0;
    s[b] = rotl(s[b]! ^ s[c]!, 12);
    s[a] = (s[a]! + s[b]!) | 0;
    s[d] = rotl(s[d]! ^ s[a]!, 8);
    s[c] = (s[c]! + s[d]!) | 0;
    s[b] = rotl(s[b]! ^ s[c]!, 7);
  };
  for (let round = 0; round < 10; round++) {
    qr(0, 4, 8, 12);
    qr(1, 5, 9, 13);
    qr(2, 6, 10, 14);
    qr(3, 7, 11, 15);
    qr(0, 5, 10, 15);
    qr(1, 6, 11, 12);
    qr(2, 7, 8, 13);
    qr(3, 4, 9, 14);
  }
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) {
    view.setUint32(i * 4, s[i]!, true);
    view.setUint32(16 + i * 4, s[12 + i]!, true);
  }
  return out;
}

function parts(key: Uint8Array, nonce: Uint8Array): { subkey: Uint8Array; iv: Uint8Array } {
  if (nonce.length !== XCHACHA_NONCE_LENGTH) throw new RangeError('xchacha20poly1305: a 24-byte nonce');
  const iv = new Uint8Array(12);
  iv.set(nonce.subarray(16, 24), 4);
  return { subkey: hchacha20(key, nonce.subarray(0, 16)), iv };
}

/**
 * `prefix`, then the ciphertext, then the 16-byte tag, over `plaintext` with `aad` authenticated: one buffer,
 * assembled with one copy (a file's header goes in `prefix`, so a 17 MiB file is not copied twice).
 */
export function xchachaSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  prefix: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const { subkey, iv } = parts(key, nonce);
  const cipher = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: XCHACHA_TAG_LENGTH });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = Buffer.concat([prefix, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/** The plaintext of `sealed` (ciphertext then tag); throws if any byte of it or of `aad` was changed. */
export function xchachaOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  if (sealed.length < XCHACHA_TAG_LENGTH) throw new RangeError('xchacha20poly1305: shorter than its tag');
  const { subkey, iv } = parts(key, nonce);
  const ciphertext = sealed.subarray(0, sealed.length - XCHACHA_TAG_LENGTH);
  const decipher = createDecipheriv('chacha20-poly1305', subkey, iv, { authTagLength: XCHACHA_TAG_LENGTH });
  decipher.setAAD(aad, { plaintextLength: ciphertext.length });
  decipher.setAuthTag(sealed.subarray(sealed.length - XCHACHA_TAG_LENGTH));
  const head = decipher.update(ciphertext);
  const rest = decipher.final(); // empty for a stream cipher: then no copy of the whole plaintext
  const plain = rest.length === 0 ? head : Buffer.concat([head, rest]);
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
}
