// Files written by the Python Phlow (Fernet tokens made by Python's `cryptography`, see
// fixtures/make_fernet_fixtures.py): read in place with the same PHLOW_MASTER_KEY, migrated on the first write
// with the token kept as <file>.fernet.bak, and refused when damaged or opened with another key.

import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasMagic } from '../src/format.js';
import { createFileKeyStore, type FileKeyStore } from '../src/index.js';
import { CHEAP_SCRYPT, expectCode, readBytes, tempDir } from './helpers.js';

interface Fixtures {
  fromKey: { file: string; masterKey: string };
  fromPassphrase: { file: string; masterKey: string };
  keys: Record<string, { private_key: string; public_key: string }>;
}

const fixturesDir = join(import.meta.dirname, 'fixtures');
const fixtures = JSON.parse(readFileSync(join(fixturesDir, 'fernet-fixtures.json'), 'utf8')) as Fixtures;

/** url-safe base64 with padding, as Python's Fernet writes a token. */
const tokenText = (bytes: Uint8Array) =>
  new Uint8Array(Buffer.from(Buffer.from(bytes).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')));

/** A copy of a fixture as `.phlow/keys.enc` in a fresh directory, and a store on it. */
function legacyStore(
  which: 'fromKey' | 'fromPassphrase',
  masterKey = fixtures[which].masterKey,
): FileKeyStore {
  const cwd = tempDir();
  const store = createFileKeyStore({ cwd, path: 'keys.enc', masterKey, scrypt: CHEAP_SCRYPT, env: {} });
  copyFileSync(join(fixturesDir, fixtures[which].file), store.path);
  return store;
}

describe('Python Phlow Fernet files', () => {
  for (const which of ['fromKey', 'fromPassphrase'] as const) {
    it(`reads every pair of a file made ${which === 'fromKey' ? 'with a Fernet key' : 'from a passphrase'}`, async () => {
      const store = legacyStore(which);
      expect(await store.listKeyIds()).toEqual(Object.keys(fixtures.keys).sort());
      for (const [id, pair] of Object.entries(fixtures.keys)) {
        expect(await store.getKeyPair(id)).toMatchObject({
          privateKey: pair.private_key,
          publicKey: pair.public_key,
          version: '1',
        });
      }
      // Reading does not migrate.
      expect(hasMagic(readBytes(store.path))).toBe(false);
    });
  }

  it('the RSA-2048 and Ed25519 PEMs it holds still sign and verify', async () => {
    const store = legacyStore('fromKey');
    for (const id of Object.keys(fixtures.keys)) {
      const pair = (await store.getKeyPair(id))!;
      const key = createPrivateKey(pair.privateKey);
      const algorithm = key.asymmetricKeyType === 'rsa' ? 'sha256' : null;
      const signature = sign(algorithm, Buffer.from('hello'), key);
      expect(verify(algorithm, Buffer.from('hello'), createPublicKey(pair.publicKey), signature)).toBe(true);
    }
  });

  it('a Fernet key given as base64: opens the file too', async () => {
    const urlSafe = fixtures.fromKey.masterKey;
    const store = legacyStore('fromKey', `base64:${urlSafe}`);
    expect(await store.getPublicKey('edge-agent')).toBe(fixtures.keys['edge-agent']!.public_key);
  });

  it('the first write migrates to the new format and keeps the token as <file>.fernet.bak', async () => {
    const store = legacyStore('fromPassphrase');
    const token = readBytes(store.path);
    await store.storeKeyPair('new-agent', 'PRIVATE new', 'PUBLIC new');

    expect(hasMagic(readBytes(store.path))).toBe(true);
    expect(readBytes(`${store.path}.fernet.bak`)).toEqual(token);
    const reopened = createFileKeyStore({
      path: store.path,
      masterKey: fixtures.fromPassphrase.masterKey,
      env: {},
    });
    expect(await reopened.listKeyIds()).toEqual([...Object.keys(fixtures.keys), 'new-agent'].sort());
    const legacy = await reopened.getKeyVersions('legacy-agent');
    expect(legacy).toHaveLength(1);
    expect(legacy[0]).toMatchObject({ privateKey: fixtures.keys['legacy-agent']!.private_key, version: '1' });
    // created_at comes from the token's timestamp: when the Python Phlow wrote the file.
    expect(legacy[0]!.createdAt.getTime()).toBeGreaterThan(Date.parse('2020-01-01'));
    expect(legacy[0]!.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('a wrong master key is ACCESS_DENIED and leaves the file alone', async () => {
    const store = legacyStore('fromKey', 'not the key');
    const before = readBytes(store.path);
    const error = await expectCode(store.getPrivateKey('legacy-agent'), 'ACCESS_DENIED');
    expect(error.message).toContain('PHLOW_MASTER_KEY');
    await expectCode(store.storeKeyPair('x', 'p', 'q'), 'ACCESS_DENIED');
    expect(readBytes(store.path)).toEqual(before);
  });

  it('a truncated token is refused (INTEGRITY, or ACCESS_DENIED when the cut leaves a well-formed token)', async () => {
    const store = legacyStore('fromKey');
    const token = readBytes(store.path);
    const seen = new Set<string>();
    // Every length near both ends (where block and base64 boundaries matter), a stride in the middle.
    for (
      let length = 0;
      length < token.length;
      length += length < 200 || length > token.length - 200 ? 1 : 97
    ) {
      const bytes = token.slice(0, length);
      writeFileSync(store.path, bytes);
      for (const attempt of [
        () => store.getPrivateKey('legacy-agent'),
        () => store.storeKeyPair('x', 'p', 'q'),
      ]) {
        seen.add(
          await attempt().then(
            () => 'none',
            (e: { code?: string }) => e.code ?? String(e),
          ),
        );
      }
      expect(readBytes(store.path)).toEqual(bytes);
    }
    // Fernet cannot tell a cut at a block boundary from a wrong key: its only check is the HMAC.
    expect([...seen].sort()).toEqual(['ACCESS_DENIED', 'INTEGRITY']);
  });

  it('a malformed token (version byte, characters, length) is INTEGRITY and leaves the file alone', async () => {
    const store = legacyStore('fromKey');
    const token = readBytes(store.path);
    const raw = Buffer.from(Buffer.from(token).toString('latin1'), 'base64url');
    const badVersion = Buffer.from(raw);
    badVersion[0] = 0x81;
    const badChar = token.slice();
    badChar[100] = '*'.charCodeAt(0);
    const badLength = tokenText(raw.subarray(0, raw.length - 5));
    for (const bytes of [tokenText(badVersion), badChar, badLength, new Uint8Array(0)]) {
      writeFileSync(store.path, bytes);
      await expectCode(store.getPrivateKey('legacy-agent'), 'INTEGRITY');
      await expectCode(store.storeKeyPair('x', 'p', 'q'), 'INTEGRITY');
      expect(readBytes(store.path)).toEqual(bytes);
    }
  });

  it('a bit flip under the HMAC is refused without decrypting (ACCESS_DENIED or INTEGRITY)', async () => {
    const store = legacyStore('fromKey');
    const raw = Buffer.from(Buffer.from(readBytes(store.path)).toString('latin1'), 'base64url');
    for (const offset of [1, 9, 30, 200, raw.length - 40, raw.length - 1]) {
      const flipped = Buffer.from(raw);
      flipped[offset]! ^= 0x10;
      const bytes = tokenText(flipped);
      expect(tokenText(raw)).toEqual(readBytes(join(fixturesDir, fixtures.fromKey.file)));
      writeFileSync(store.path, bytes);
      const code = await store.listKeyIds().then(
        () => 'none',
        (e: { code?: string }) => e.code,
      );
      expect(['ACCESS_DENIED', 'INTEGRITY']).toContain(code);
      expect(readBytes(store.path)).toEqual(bytes);
    }
  });
});
