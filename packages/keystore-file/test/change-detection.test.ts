// Another process changes the key file while this one holds the decrypted map in its cache: the next read must
// see the change, however it was made (src/generation.ts states the rule and its limit). Children are real
// processes running the built package (test/children/*.mjs); each round waits for a child to exit, an event,
// never for time to pass.
import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileKeyStore, type FileFormat } from '../src/index.js';
import { ed25519Pair, RAW_KEY, runChild, tempDir } from './helpers.js';

const FORMATS = ['phlow', 'fernet'] as const satisfies readonly FileFormat[];

interface Written {
  version: string;
  publicKey: string;
}

describe.each(FORMATS)('a reader holding a cache (format %s)', (format) => {
  it('sees every write and rotation by another process on its next read, and its own writes keep none hidden', async () => {
    const path = join(tempDir(), 'keys.enc');
    const reader = createFileKeyStore({ path, masterKey: RAW_KEY, format, env: {} });
    const first = ed25519Pair();
    await reader.storeKeyPair('agent', first.privateKey, first.publicKey);
    expect((await reader.getKeyVersions('agent'))[0]?.version).toBe('1');
    const ROUNDS = 8;
    for (let round = 0; round < ROUNDS; round++) {
      // Cached: read twice before the other process writes.
      await reader.getKeyPair('agent');
      const before = await reader.getKeyPair('agent');
      const mode = round % 2 === 0 ? 'store' : 'rotate';
      const [line] = await runChild('change.mjs', [path, RAW_KEY, format, 'agent', mode]);
      const written = JSON.parse(line!) as Written;
      expect(Number(written.version)).toBe(round + 2);
      const [current] = await reader.getKeyVersions('agent');
      expect({ version: current?.version, publicKey: current?.publicKey }).toEqual(written);
      expect(before?.version).not.toBe(written.version);
      // A write of its own, then the other process again: the cache this write leaves must not hide it.
      await reader.storeKeyPair(`own-${round}`, `PRIVATE own-${round}`, `PUBLIC own-${round}`);
    }
    expect(await reader.listKeyIds()).toEqual(
      ['agent', ...Array.from({ length: ROUNDS }, (_, i) => `own-${i}`)].sort(),
    );
  }, 120_000);

  for (const mode of ['in-place', 'rename'] as const) {
    it(`sees a new generation written ${mode === 'in-place' ? 'over the same inode' : 'by a rename'} that keeps the size and the mtime`, async () => {
      const dir = tempDir();
      // Two generations of equal size: the same layout, values of the same length.
      const generation = async (name: string, value: string) => {
        const file = join(dir, name);
        await createFileKeyStore({ path: file, masterKey: RAW_KEY, format, env: {} }).storeKeyPair(
          'agent',
          `PRIVATE ${value}`,
          `PUBLIC ${value}`,
        );
        return file;
      };
      const first = await generation('first.enc', 'one');
      const second = await generation('second.enc', 'two');
      expect(statSync(second).size).toBe(statSync(first).size);

      const path = join(dir, 'keys.enc');
      copyFileSync(first, path);
      const reader = createFileKeyStore({ path, masterKey: RAW_KEY, format, env: {} });
      expect(await reader.getPrivateKey('agent')).toBe('PRIVATE one');
      expect(await reader.getPrivateKey('agent')).toBe('PRIVATE one');

      const [line] = await runChild('rewrite.mjs', [path, second, mode]);
      const kept = JSON.parse(line!) as Record<string, boolean>;
      // The case under test really happened: size and mtime unchanged (and the inode too, in place).
      expect(kept).toMatchObject({
        sameSize: true,
        sameMtime: true,
        ...(mode === 'in-place' ? { sameInode: true } : {}),
      });
      expect(await reader.getPrivateKey('agent')).toBe('PRIVATE two');
      expect(await reader.getPublicKey('agent')).toBe('PUBLIC two');
    }, 60_000);
  }
});
