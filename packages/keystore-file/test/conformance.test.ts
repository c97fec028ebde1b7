// The shared KeyStore conformance suite against a key file in a temporary directory, with a raw master key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { createFileKeyStore } from '../src/index.js';
import { RAW_KEY } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'phlow-file-conformance-'));

runKeyStoreConformance({
  name: 'encrypted_file',
  create: () => createFileKeyStore({ cwd: dir, masterKey: RAW_KEY, env: {} }),
  cleanup: async (store) => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  },
});
