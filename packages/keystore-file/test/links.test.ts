// A key file reached through a symbolic link: writes go through to the link's target (the link stays a link),
// so processes entering through the link and through the target share one file and one lock.
import { lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileKeyStore } from '../src/index.js';
import { expectCode, RAW_KEY, runChild, tempDir } from './helpers.js';

describe('symbolic links', () => {
  it('a write through a link replaces the target, keeps the link, and puts lock, temps and .bak beside the target', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'shared'));
    mkdirSync(join(dir, 'app'));
    const target = join(dir, 'shared', 'keys.enc');
    const link = join(dir, 'app', 'keys.enc');
    const direct = createFileKeyStore({ path: target, masterKey: RAW_KEY, env: {} });
    await direct.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a');
    symlinkSync('../shared/keys.enc', link);

    const linked = createFileKeyStore({ path: link, masterKey: RAW_KEY, backup: true, env: {} });
    await linked.storeKeyPair('b', 'PRIVATE b', 'PUBLIC b');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../shared/keys.enc');
    expect(await direct.listKeyIds()).toEqual(['a', 'b']);
    expect(readdirSync(join(dir, 'app'))).toEqual(['keys.enc']);
    expect(readdirSync(join(dir, 'shared')).sort()).toEqual(['keys.enc', 'keys.enc.bak']);
  });

  it('processes writing through the link and through the target at once lose nothing', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'shared'));
    const target = join(dir, 'shared', 'keys.enc');
    const links = [join(dir, 'one.enc'), join(dir, 'two.enc')];
    for (const link of links) symlinkSync(target, link);
    const paths = [target, target, ...links];
    const runs = paths.map((path, i) => runChild('writer.mjs', [path, RAW_KEY, `p${i}`, '10']));
    const acknowledged = (await Promise.all(runs)).flat().filter(Boolean);
    expect(acknowledged).toHaveLength(40);
    for (const path of paths) {
      const store = createFileKeyStore({ path, masterKey: RAW_KEY, env: {} });
      expect(await store.listKeyIds()).toEqual([...acknowledged].sort());
    }
    for (const link of links) expect(lstatSync(link).isSymbolicLink()).toBe(true);
  }, 300_000);

  it('a link to a file not created yet creates it at the target; a link into a missing directory is INVALID_CONFIG', async () => {
    const dir = tempDir();
    const early = join(dir, 'early.enc');
    symlinkSync('later.enc', early);
    await createFileKeyStore({ path: early, masterKey: RAW_KEY, env: {} }).storeKeyPair('a', 'P', 'Q');
    expect(lstatSync(early).isSymbolicLink()).toBe(true);
    expect(
      await createFileKeyStore({ path: join(dir, 'later.enc'), masterKey: RAW_KEY, env: {} }).listKeyIds(),
    ).toEqual(['a']);

    const link = join(dir, 'keys.enc');
    symlinkSync(join(dir, 'nowhere', 'keys.enc'), link);
    const store = createFileKeyStore({ path: link, masterKey: RAW_KEY, env: {} });
    expect(await store.listKeyIds()).toEqual([]);
    const error = await expectCode(store.storeKeyPair('a', 'PRIVATE a', 'PUBLIC a'), 'INVALID_CONFIG');
    expect(error.message).toContain('whose directory does not exist');
    expect(readdirSync(dir).sort()).toEqual(['early.enc', 'keys.enc', 'later.enc']);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});
