// A reader whose cache is warm (the map decrypted, the file's identity recorded: src/generation.ts) and a key
// file that is then swapped for something else at its path: a FIFO, a directory, a file over the size limit,
// a copy of itself cut short after the header, or (through a symbolic link) another generation of the same
// size. Each next read must answer for what is at the path now (an error, or the other generation), never
// from the cached map, and never hang.
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IDENTITY_HEAD_BYTES } from '../src/generation.js';
import { createFileKeyStore, type FileFormat } from '../src/index.js';
import { expectCode, RAW_KEY, tempDir } from './helpers.js';

const FORMATS = ['phlow', 'fernet'] as const satisfies readonly FileFormat[];

describe.each(FORMATS)('a warm cache and a swapped key file (format %s)', (format) => {
  async function warm(options: { maxFileBytes?: number } = {}) {
    const dir = tempDir();
    const path = join(dir, 'keys.enc');
    const store = createFileKeyStore({ path, masterKey: RAW_KEY, format, env: {}, ...options });
    await store.storeKeyPair('agent', 'PRIVATE one', 'PUBLIC one');
    expect(await store.getPrivateKey('agent')).toBe('PRIVATE one');
    expect(await store.getPrivateKey('agent')).toBe('PRIVATE one');
    return { dir, path, store };
  }

  it('a FIFO renamed over the file: INVALID_CONFIG at once, not the cached map and not a hang', async () => {
    const { dir, path, store } = await warm();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    renameSync(fifo, path);
    await expectCode(store.getPrivateKey('agent'), 'INVALID_CONFIG');
  });

  it('a directory in its place: INVALID_CONFIG', async () => {
    const { path, store } = await warm();
    unlinkSync(path);
    mkdirSync(path);
    await expectCode(store.getPrivateKey('agent'), 'INVALID_CONFIG');
  });

  it('a file over maxFileBytes in its place: INVALID_CONFIG naming the setting', async () => {
    const { path, store } = await warm({ maxFileBytes: 64 * 1024 });
    const head = readFileSync(path).subarray(0, IDENTITY_HEAD_BYTES);
    // The same first bytes as the cached generation: only the size tells them apart.
    writeFileSync(`${path}.big`, Buffer.concat([head, Buffer.alloc(64 * 1024)]));
    renameSync(`${path}.big`, path);
    const error = await expectCode(store.getPrivateKey('agent'), 'INVALID_CONFIG');
    expect(error.message).toContain('maxFileBytes');
  });

  it('the file cut short in place after its header: refused (INTEGRITY), the cached map is not served', async () => {
    const { path, store } = await warm();
    truncateSync(path, IDENTITY_HEAD_BYTES + 8);
    const error = await store.getPrivateKey('agent').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'KeyStoreError' });
    expect((error as { code: string }).code).not.toBe('NOT_FOUND');
    expect(String((error as Error).message)).not.toContain('PRIVATE one');
  });

  it('a symbolic link repointed to another generation of the same size: the next read is that generation', async () => {
    const dir = tempDir();
    const generation = async (name: string, value: string) => {
      const file = join(dir, name);
      await createFileKeyStore({ path: file, masterKey: RAW_KEY, format, env: {} }).storeKeyPair(
        'agent',
        `PRIVATE ${value}`,
        `PUBLIC ${value}`,
      );
      return file;
    };
    const one = await generation('one.enc', 'one');
    const two = await generation('two.enc', 'two');
    expect(statSync(two).size).toBe(statSync(one).size);
    const link = join(dir, 'keys.enc');
    symlinkSync('one.enc', link);
    const reader = createFileKeyStore({ path: link, masterKey: RAW_KEY, format, env: {} });
    expect(await reader.getPrivateKey('agent')).toBe('PRIVATE one');
    expect(await reader.getPrivateKey('agent')).toBe('PRIVATE one');
    // Repointed atomically, as a deployment switching files would.
    symlinkSync('two.enc', `${link}.new`);
    renameSync(`${link}.new`, link);
    expect(await reader.getPrivateKey('agent')).toBe('PRIVATE two');
  });
});
