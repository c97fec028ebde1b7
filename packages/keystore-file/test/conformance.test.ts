// The shared KeyStore conformance suite against a key file in a temporary directory, with a raw master key:
// once in the store's own format, once in the Python Phlow's Fernet format (`format: 'fernet'`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { createFileKeyStore, type FileFormat } from '../src/index.js';
import { RAW_KEY } from './helpers.js';

for (const [name, format] of [
  ['encrypted_file', 'phlow'],
  ['encrypted_file (fernet)', 'fernet'],
] as const satisfies [string, FileFormat][]) {
  const dir = mkdtempSync(join(tmpdir(), `phlow-file-conformance-${format}-`));
  runKeyStoreConformance({
    name,
    create: () => createFileKeyStore({ cwd: dir, masterKey: RAW_KEY, format, env: {} }),
    cleanup: async (store) => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
