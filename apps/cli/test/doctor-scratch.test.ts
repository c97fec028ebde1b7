/**
 * doctor's scratch key never stays behind, also when its write fails after the backend kept the key (a
 * deadline that passed after the backend finished, a read-back that failed). Here a store module given by
 * path, over core's memory store, whose storeKeyPair keeps the pair and then fails; at close it writes the ids
 * it still holds to a file, which is how the test sees the store after doctor's process is gone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, json, tempDir } from './helpers.js';

const CORE = pathToFileURL(resolve(import.meta.dirname, '../../../packages/keys-core/dist/index.js')).href;

interface Check {
  readonly name: string;
  readonly status: string;
  readonly detail?: string;
}

describe('doctor: the scratch key never stays behind', () => {
  it('a write that fails after the store kept the key: the key is deleted, and the rows say so', async () => {
    const cwd = tempDir('doctor-scratch');
    const left = join(cwd, 'left.json');
    const file = join(cwd, 'late-failing-store.mjs');
    writeFileSync(
      file,
      `import { writeFileSync } from 'node:fs';
import { createMemoryKeyStore, defineKeyStoreProvider, KeyStoreError } from ${JSON.stringify(CORE)};
export default defineKeyStoreProvider({
  type: 'late_failing',
  create() {
    const store = createMemoryKeyStore();
    const store_ = store.storeKeyPair.bind(store);
    return Object.assign(store, {
      type: 'late_failing',
      async storeKeyPair(id, privateKey, publicKey, options) {
        await store_(id, privateKey, publicKey, options);
        // Kept, then the answer is lost: what a client sees when its deadline passes after the backend finished.
        throw new KeyStoreError('UNAVAILABLE', 'the request timed out', { storeType: 'late_failing', keyId: id });
      },
      async close() {
        writeFileSync(${JSON.stringify(left)}, JSON.stringify(await store.listKeyIds()));
      },
    });
  },
});
`,
    );
    const result = await cli(['doctor', '--json'], {
      cwd,
      env: baseEnv({ PHLOW_KEY_STORE_TYPE: file }),
    });
    const checks: Check[] = json(result).checks;
    const write = checks.find((c) => c.name === 'write');
    const remove = checks.find((c) => c.name === 'delete');
    expect(write?.status).toBe('fail');
    expect(remove?.status, JSON.stringify(remove)).toBe('ok');
    expect(remove?.detail).toMatch(
      /^phlow-doctor-[0-9a-f]{12}, whose write failed, deleted in case the store kept it: it is not in the store now$/,
    );
    expect(JSON.parse(readFileSync(left, 'utf8'))).toEqual([]);
    expect(result.code).toBe(1);
  });
});
