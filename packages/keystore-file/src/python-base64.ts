/**
 * Python's `base64.urlsafe_b64decode`, byte for byte, because it decides which master keys the Python Phlow
 * used as a Fernet key as is: `Fernet(key)` decodes with it and accepts any result of exactly 32 bytes.
 *
 * urlsafe_b64decode maps `-` and `_` to `+` and `/` and calls `binascii.a2b_base64` in its non-strict mode
 * (CPython `Modules/binascii.c`), which
 * - discards every byte outside the base64 alphabet (spaces, `#`, newlines, non-ASCII), so `+` and `/` still
 *   count as well as `-` and `_`;
 * - ignores a `=` that comes before the second character of a group, and stops reading altogether at the
 *   `=` that completes a group (`xx==`, `xxx=`): anything after it, such as ` # a note`, is never looked at;
 * - fails ("Incorrect padding", binascii.Error) when the input ends inside a group.
 * Checked against Python 3.11 itself in test/fernet-key.test.ts.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 0x3d; // '='

/** Byte -> 6-bit value, after the url-safe translation; 255 for bytes the decoder discards. */
const TABLE = (() => {
  const table = new Uint8Array(256).fill(255);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  table[0x2d] = 62; // '-' is translated to '+'
  table[0x5f] = 63; // '_' is translated to '/'
  return table;
})();

/** The bytes Python's `base64.urlsafe_b64decode(input)` returns, or null where it raises binascii.Error. */
export function pythonUrlsafeB64decode(input: Uint8Array): Uint8Array | null {
  const out: number[] = [];
  let quadPos = 0;
  let leftChar = 0;
  let pads = 0;
  for (const byte of input) {
    if (byte === PAD) {
      if (quadPos >= 2 && quadPos + ++pads >= 4) return Uint8Array.from(out);
      continue;
    }
    const value = TABLE[byte]!;
    if (value === 255) continue;
    pads = 0;
    switch (quadPos) {
      case 0:
        quadPos = 1;
        leftChar = value;
        break;
      case 1:
        quadPos = 2;
        out.push(((leftChar << 2) | (value >> 4)) & 0xff);
        leftChar = value & 0x0f;
        break;
      case 2:
        quadPos = 3;
        out.push(((leftChar << 4) | (value >> 2)) & 0xff);
        leftChar = value & 0x03;
        break;
      default:
        quadPos = 0;
        out.push(((leftChar << 6) | value) & 0xff);
        leftChar = 0;
    }
  }
  return quadPos === 0 ? Uint8Array.from(out) : null;
}

/**
 * The Fernet key Python's `Fernet(text.encode())` would build from `text`, or null where it raises (then the
 * Python Phlow hashed the text instead).
 */
export function pythonFernetKey(text: string): Uint8Array | null {
  const decoded = pythonUrlsafeB64decode(new TextEncoder().encode(text));
  return decoded !== null && decoded.length === 32 ? decoded : null;
}
