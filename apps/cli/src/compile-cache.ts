/**
 * V8's compile cache for the CLI's own modules, on Node versions that have it (22.1 and later; Node 20 has
 * none and this does nothing there). Every `phlow-keys` call is a new process that compiles the same
 * JavaScript (the CLI, core, the store's adapter); with the cache, later calls read the compiled code instead.
 *
 * The cache holds code that this process will run, so it lives only in a directory of the user's own:
 * `$XDG_CACHE_HOME/phlow-keys/compile-cache` (default `~/.cache/...`), created mode 0700, and used only when it
 * is a real directory (not a symbolic link) owned by this user that no one else may write. Never the shared
 * temporary directory Node would pick by default, where another local user could plant entries. Node's own
 * settings win: `NODE_COMPILE_CACHE` (a directory the user chose) and `NODE_DISABLE_COMPILE_CACHE=1`.
 * Any failure (no HOME, a read-only file system, a foreign owner) leaves the cache off, silently: it is only
 * ever an optimisation.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';

type EnableCompileCache = (directory?: string) => unknown;

export function enableCompileCache(env: NodeJS.ProcessEnv): void {
  const enable = (module as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (typeof enable !== 'function' || env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return;
  const directory = privateCacheDirectory(env);
  if (directory) {
    try {
      enable(directory);
    } catch {
      // An optimisation only.
    }
  }
}

/** The user's own cache directory for compiled code, or undefined when it cannot be made safe. */
export function privateCacheDirectory(env: NodeJS.ProcessEnv): string | undefined {
  const base = env.XDG_CACHE_HOME?.startsWith('/')
    ? env.XDG_CACHE_HOME
    : env.HOME?.startsWith('/')
      ? join(env.HOME, '.cache')
      : undefined;
  if (!base || typeof process.getuid !== 'function') return undefined;
  const directory = join(base, 'phlow-keys', 'compile-cache');
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const stat = lstatSync(directory);
    if (!stat.isDirectory() || stat.uid !== process.getuid() || (stat.mode & 0o022) !== 0) return undefined;
    return directory;
  } catch {
    return undefined;
  }
}
