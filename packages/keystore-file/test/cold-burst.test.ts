// A burst of reads on a store whose cache does not hold the file's current generation (a new store, or after
// another writer) decrypts the file once, not once per read: at 50,000 keys each decryption is ~140 ms of CPU,
// and a JWK Set over many ids starts one read per id at once. openFile is counted through a pass-through spy.
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { createFileKeyStore } from '../src/index.js';
import { RAW_KEY, tempDir } from './helpers.js';

const opened = vi.hoisted(() => ({ count: 0 }));
vi.mock('../src/file-state.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/file-state.js')>();
  return {
    ...actual,
    openFile: (...args: Parameters<typeof actual.openFile>) => {
      opened.count++;
      return actual.openFile(...args);
    },
  };
});

it('100 concurrent reads decrypt the file once, on a new store and again after another writer', async () => {
  const path = join(tempDir(), 'keys.enc');
  const ids = Array.from({ length: 20 }, (_, i) => `agent-${i}`);
  const writer = createFileKeyStore({ path, masterKey: RAW_KEY, env: {} });
  for (const id of ids) await writer.storeKeyPair(id, `PRIVATE ${id}`, `PUBLIC ${id}`);

  const reader = createFileKeyStore({ path, masterKey: RAW_KEY, env: {} });
  const burst = Array.from({ length: 100 }, (_, i) => ids[i % ids.length]!);
  opened.count = 0;
  const first = await Promise.all(burst.map((id) => reader.getPrivateKey(id)));
  expect(first).toEqual(burst.map((id) => `PRIVATE ${id}`));
  expect(opened.count).toBe(1);

  // Cached: no decryption at all.
  opened.count = 0;
  await Promise.all(burst.map((id) => reader.getPrivateKey(id)));
  expect(opened.count).toBe(0);

  // Another writer (a store of its own, as another process would be) replaces the file: every read of the
  // next burst sees the new key, and the file is decrypted once more.
  await writer.storeKeyPair('agent-0', 'PRIVATE new', 'PUBLIC new');
  opened.count = 0;
  const second = await Promise.all(burst.map(() => reader.getPrivateKey('agent-0')));
  expect(new Set(second)).toEqual(new Set(['PRIVATE new']));
  expect(opened.count).toBe(1);
});
