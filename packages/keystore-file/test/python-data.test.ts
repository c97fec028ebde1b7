// Data the Python Phlow left behind, checked against real Python: ids the key-id rule refuses stay in the
// file untouched (and readable by Python) but out of listings, and never break the valid ids beside them.
import { join } from 'node:path';
import { KeyManager } from '@phlow/keys-core';
import { describe, expect, it } from 'vitest';
import { createFileKeyStore } from '../src/index.js';
import { CHEAP_SCRYPT, ed25519Pair, expectCode, tempDir } from './helpers.js';
import { pythonRead, pythonStore, usePython } from './python.js';

usePython();

const PASSPHRASE = 'python era passphrase';

describe('Python-era ids the key-id rule refuses', () => {
  it('are left out of listings and jwks, counted, kept untouched by writes, and still read by Python', async () => {
    const dir = tempDir();
    const path = join(dir, 'keys.enc');
    const good = ed25519Pair();
    await pythonStore(path, PASSPHRASE, 'agent@example.com', 'PRIVATE email', 'PUBLIC email');
    await pythonStore(path, PASSPHRASE, 'org/agent', 'PRIVATE slash', 'PUBLIC slash');
    await pythonStore(path, PASSPHRASE, 'good-agent', good.privateKey, good.publicKey);
    const odd = {
      'agent@example.com': { private_key: 'PRIVATE email', public_key: 'PUBLIC email' },
      'org/agent': { private_key: 'PRIVATE slash', public_key: 'PUBLIC slash' },
    };

    for (const format of ['fernet', 'phlow'] as const) {
      const store = createFileKeyStore({
        path,
        masterKey: PASSPHRASE,
        scrypt: CHEAP_SCRYPT,
        format,
        env: {},
      });
      expect(await store.listKeyIds()).toEqual(['good-agent']);
      expect(await store.listInvalidKeyIds()).toEqual(['agent@example.com', 'org/agent']);
      const jwks = await new KeyManager({ store }).jwks();
      expect(jwks.keys).toHaveLength(1);
      await expectCode(store.getKeyPair('org/agent'), 'INVALID_KEY_ID');
    }

    // A write in the Python layout keeps the odd entries byte for byte, for the Python agents.
    const fernet = createFileKeyStore({ path, masterKey: PASSPHRASE, format: 'fernet', env: {} });
    const next = ed25519Pair();
    await fernet.storeKeyPair('new-agent', next.privateKey, next.publicKey);
    expect((await pythonRead(path, PASSPHRASE)).keys).toMatchObject({
      ...odd,
      'good-agent': { private_key: good.privateKey, public_key: good.publicKey },
      'new-agent': { private_key: next.privateKey, public_key: next.publicKey },
    });
    expect(await fernet.listInvalidKeyIds()).toHaveLength(2);

    // Migration to format 1 keeps them too (still counted, still out of listings).
    const migrated = createFileKeyStore({ path, masterKey: PASSPHRASE, scrypt: CHEAP_SCRYPT, env: {} });
    await migrated.deleteKeyPair('new-agent');
    expect(await migrated.listKeyIds()).toEqual(['good-agent']);
    expect(await migrated.listInvalidKeyIds()).toEqual(['agent@example.com', 'org/agent']);
  });
});
