// The accepted master key forms and the prefix rule that tells a raw key from a passphrase.
import { describe, expect, it } from 'vitest';
import { parseHeader } from '../src/format.js';
import { createFileKeyStore, generateMasterKey } from '../src/index.js';
import { parseMasterKey } from '../src/master-key.js';
import { CHEAP_SCRYPT, readBytes, tempDir } from './helpers.js';

const bytes32 = Uint8Array.from({ length: 32 }, (_, i) => i);

describe('master key forms', () => {
  it('generateMasterKey returns base64: and 32 random bytes, accepted as a raw key', () => {
    const key = generateMasterKey();
    expect(key).toMatch(/^base64:[A-Za-z0-9+/]{43}=$/);
    expect(generateMasterKey()).not.toBe(key);
    expect(parseMasterKey(key, 'test')).toMatchObject({ kind: 'raw' });
  });

  it('accepts base64 (standard or url-safe, padding optional) and hex raw keys', () => {
    const std = Buffer.from(bytes32).toString('base64');
    const url = Buffer.from(bytes32).toString('base64url');
    const hex = Buffer.from(bytes32).toString('hex');
    for (const text of [
      `base64:${std}`,
      `base64:${url}`,
      `base64:${std.slice(0, -1)}`,
      `hex:${hex}`,
      ` hex:${hex}\n`,
    ]) {
      expect(parseMasterKey(text, 'test')).toEqual({ kind: 'raw', key: bytes32 });
    }
    expect(parseMasterKey(`hex:${hex.toUpperCase()}`, 'test')).toEqual({ kind: 'raw', key: bytes32 });
    expect(parseMasterKey(bytes32, 'test')).toEqual({ kind: 'raw', key: bytes32 });
  });

  it('treats unprefixed text as a passphrase, even when it looks like hex or base64 of 32 bytes', () => {
    const hex = Buffer.from(bytes32).toString('hex');
    const b64 = Buffer.from(bytes32).toString('base64');
    expect(parseMasterKey(hex, 'test')).toEqual({ kind: 'passphrase', passphrase: hex });
    expect(parseMasterKey(b64, 'test')).toEqual({ kind: 'passphrase', passphrase: b64 });
    expect(parseMasterKey(' spaces count ', 'test')).toEqual({
      kind: 'passphrase',
      passphrase: ' spaces count ',
    });
  });

  it('a prefixed value that is not 32 bytes is INVALID_CONFIG, never a passphrase, and is not echoed', () => {
    const secret = `base64:${Buffer.alloc(31, 7).toString('base64')}`;
    for (const bad of [secret, 'hex:abcd', `hex:${'zz'.repeat(32)}`, 'base64:']) {
      let error: unknown;
      try {
        parseMasterKey(bad, 'PHLOW_MASTER_KEY');
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
      expect((error as Error).message).toContain('PHLOW_MASTER_KEY');
      const body = bad.replace(/^(base64|hex):/, '');
      if (body.length >= 8) expect((error as Error).message).not.toContain(body);
    }
    expect(() => parseMasterKey(new Uint8Array(16), 'test')).toThrow(/32 bytes/);
    expect(() => parseMasterKey('', 'PHLOW_MASTER_KEY')).toThrow(/empty/);
  });

  it('a hex-looking passphrase goes through scrypt; the same bytes as hex: skip it', async () => {
    const hex = Buffer.from(bytes32).toString('hex');
    const cwd = tempDir();
    const asPassphrase = createFileKeyStore({
      cwd,
      path: 'p.enc',
      masterKey: hex,
      scrypt: CHEAP_SCRYPT,
      env: {},
    });
    await asPassphrase.storeKeyPair('a', 'p', 'q');
    expect(parseHeader(readBytes(asPassphrase.path), 'p.enc').kdf).toMatchObject({ kind: 'scrypt' });
    const asRaw = createFileKeyStore({ cwd, path: 'r.enc', masterKey: `hex:${hex}`, env: {} });
    await asRaw.storeKeyPair('a', 'p', 'q');
    expect(parseHeader(readBytes(asRaw.path), 'r.enc').kdf).toEqual({ kind: 'none' });
    // The same raw key in another form opens the file.
    const asBase64 = createFileKeyStore({
      cwd,
      path: 'r.enc',
      masterKey: `base64:${Buffer.from(bytes32).toString('base64')}`,
    });
    expect(await asBase64.getPrivateKey('a')).toBe('p');
  });
});
