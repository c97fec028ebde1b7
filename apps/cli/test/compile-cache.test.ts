/**
 * The CLI keeps V8's compile cache only in a private directory of the user's (compile-cache.ts): never a shared
 * or foreign one, where planted entries would be code this process runs. On Node 20 (no compile cache) the CLI
 * creates nothing; on Node 22 and later (`pnpm test:node-versions`) it fills `~/.cache/phlow-keys/compile-cache`.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { privateCacheDirectory } from '../src/compile-cache.js';
import { baseEnv, cli, tempDir } from './helpers.js';

const hasCompileCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

describe('compile cache directory', () => {
  it('is made mode 0700 under XDG_CACHE_HOME, else ~/.cache', () => {
    const home = tempDir('home');
    const directory = privateCacheDirectory({ HOME: home });
    expect(directory).toBe(join(home, '.cache', 'phlow-keys', 'compile-cache'));
    expect(statSync(directory as string).mode & 0o777).toBe(0o700);
    const xdg = tempDir('xdg');
    expect(privateCacheDirectory({ HOME: home, XDG_CACHE_HOME: xdg })).toBe(
      join(xdg, 'phlow-keys', 'compile-cache'),
    );
  });

  it('is refused when it is a symbolic link, writable by others, or the base is not absolute', () => {
    const home = tempDir('home');
    const target = tempDir('elsewhere');
    mkdirSync(join(home, '.cache', 'phlow-keys'), { recursive: true });
    symlinkSync(target, join(home, '.cache', 'phlow-keys', 'compile-cache'));
    expect(privateCacheDirectory({ HOME: home })).toBeUndefined();

    const shared = tempDir('shared');
    mkdirSync(join(shared, 'phlow-keys', 'compile-cache'), { recursive: true });
    chmodSync(join(shared, 'phlow-keys', 'compile-cache'), 0o777);
    expect(privateCacheDirectory({ XDG_CACHE_HOME: shared })).toBeUndefined();

    expect(privateCacheDirectory({ HOME: 'relative/home' })).toBeUndefined();
    expect(privateCacheDirectory({})).toBeUndefined();
  });

  it(`a command ${hasCompileCache ? 'fills' : 'creates no'} the cache on Node ${process.versions.node}`, async () => {
    const home = tempDir('home');
    const cwd = tempDir();
    const result = await cli(['--help'], { cwd, env: baseEnv({ HOME: home, XDG_CACHE_HOME: undefined }) });
    expect(result.code).toBe(0);
    const directory = join(home, '.cache', 'phlow-keys', 'compile-cache');
    if (hasCompileCache) {
      expect(statSync(directory).mode & 0o777).toBe(0o700);
      expect(readdirSync(directory).length).toBeGreaterThan(0);
    } else {
      expect(existsSync(directory)).toBe(false);
    }
  });

  it('NODE_DISABLE_COMPILE_CACHE leaves the directory uncreated', async () => {
    const home = tempDir('home');
    const result = await cli(['--help'], {
      cwd: tempDir(),
      env: baseEnv({ HOME: home, NODE_DISABLE_COMPILE_CACHE: '1' }),
    });
    expect(result.code).toBe(0);
    expect(existsSync(join(home, '.cache', 'phlow-keys'))).toBe(false);
  });
});
