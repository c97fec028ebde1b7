/**
 * Where the resolver may load adapter code from: only what someone installed on purpose.
 *
 * Node's own lookup walks `./node_modules`, `../node_modules`, ... up to the root, so resolving a built-in
 * store name from the working directory ran any `node_modules/@phlow/keystore-file` planted in a parent, for
 * example in the shared temporary directory, with the master key in the environment. Here a package is
 * loaded only from:
 *
 *   0. the working directory's own node_modules (not its parents');
 *   1. the application: the nearest package.json at or above the working directory that lists the package in
 *      its dependencies (or is that package), looked up from that directory as Node would;
 *   2. the installation this copy of core lives in (core's own node_modules chain, never above the topmost
 *      `node_modules` on core's path), and any other installation the caller names (the CLI names its own);
 *
 * and every directory involved must be one that only the user or root can change: owned by the current user
 * or root, not world-writable, and with no world-writable directory above it unless that one is sticky
 * (like /tmp, where nobody can rename another user's entries). A walk stops at the first directory that fails.
 * Packages are resolved with the `import` condition, as `import()` loads them, so ESM-only adapters are found.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';

/** A package directory and the file `import()` would load from it. */
export interface Located {
  readonly packageDir: string;
  readonly file: string;
}

/** A package that exists but was not loaded, and why. */
export interface Refusal {
  readonly path: string;
  readonly reason: string;
}

export interface LookupResult {
  readonly found?: Located;
  /** Copies of the package that exist but may not be loaded, each with the reason. */
  readonly refused: Refusal[];
}

const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/** Why a file or directory could be changed by someone other than the user or root, or undefined. */
function writableByOthers(path: string): string | undefined {
  if (uid === undefined) return undefined; // Windows: no owner or mode bits to go by
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    return `${path} cannot be read`;
  }
  if (st.uid !== uid && st.uid !== 0) return `${path} is owned by another user (uid ${st.uid})`;
  if (st.mode & 0o002) return `${path} is world-writable`;
  return undefined;
}

/** Directories above `dir` (not `dir` itself) that someone else could use to swap the path. */
function ancestorProblem(dir: string): string | undefined {
  for (let d = dirname(dir); ; d = dirname(d)) {
    if (uid !== undefined) {
      try {
        const st = statSync(d);
        if (st.uid !== uid && st.uid !== 0) return `${d} is owned by another user (uid ${st.uid})`;
        if (st.mode & 0o002 && !(st.mode & 0o1000)) return `${d} is world-writable and not sticky`;
      } catch {
        return `${d} cannot be read`;
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

/** Why code under `dir` must not be trusted, or undefined. */
export function directoryProblem(dir: string): string | undefined {
  return writableByOthers(dir) ?? ancestorProblem(dir);
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

/** The package name of a specifier: `@a/b/c` -> `@a/b`, `b/c` -> `b`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * The application that declares `name`: the nearest trusted directory at or above `cwd` whose package.json
 * lists it (or is it). The walk stops at the first directory that is not trusted.
 */
export function declaringApp(
  cwd: string,
  name: string,
): { dir?: string; refused: Refusal[]; undeclaredIn?: string } {
  const refused: Refusal[] = [];
  let undeclaredIn: string | undefined;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const problem = directoryProblem(dir);
    if (problem) {
      // Say what was left alone up there (it is never read, only noticed), so a user can tell why.
      for (let up = dir; ; up = dirname(up)) {
        const planted = join(up, 'node_modules', name);
        if (existsSync(planted)) refused.push({ path: planted, reason: directoryProblem(up) ?? problem });
        if (dirname(up) === up) break;
      }
      return { refused, undeclaredIn };
    }
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && basename(dir) !== 'node_modules') {
      const pkg = readJson(manifest);
      const declared =
        pkg?.name === name ||
        DEPENDENCY_FIELDS.some((field) => {
          const deps = pkg?.[field];
          return !!deps && typeof deps === 'object' && Object.hasOwn(deps, name);
        });
      if (declared) return { dir, refused };
      undeclaredIn ??= dir;
    }
    if (dirname(dir) === dir) return { refused, undeclaredIn };
  }
}

/**
 * Looks for package `name` as Node would from `from` (`from/node_modules`, then each parent's), but not above
 * `top`, and only in trusted directories; returns the file `import()` would load (the `import` condition).
 */
export function lookupFrom(from: string, specifier: string, top?: string): LookupResult {
  const name = packageNameOf(specifier);
  const subpath = specifier === name ? '.' : `.${specifier.slice(name.length)}`;
  const refused: Refusal[] = [];
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        const problem = directoryProblem(dir) ?? packageProblem(dir, candidate);
        if (problem) {
          refused.push({ path: candidate, reason: problem });
          return { refused };
        }
        const file = entryFile(candidate, subpath);
        const fileProblem = file && writableByOthers(file);
        if (fileProblem) {
          refused.push({ path: candidate, reason: fileProblem });
          return { refused };
        }
        if (file) return { found: { packageDir: candidate, file }, refused };
        refused.push({ path: candidate, reason: `its package.json exports no "${subpath}" for import()` });
        return { refused };
      }
      if (directoryProblem(dir)) return { refused };
    }
    if (dir === top || dirname(dir) === dir) return { refused };
  }
}

/** The directories between a lookup directory and the package's real files, each checked. */
function packageProblem(lookupDir: string, packageDir: string): string | undefined {
  const nodeModules = join(lookupDir, 'node_modules');
  const scope = dirname(packageDir) === nodeModules ? undefined : dirname(packageDir);
  let real: string;
  try {
    real = realpathSync(packageDir);
  } catch {
    return `${packageDir} cannot be resolved`;
  }
  return (
    writableByOthers(nodeModules) ??
    (scope ? writableByOthers(scope) : undefined) ??
    writableByOthers(packageDir) ??
    (real === packageDir ? undefined : directoryProblem(real))
  );
}

/**
 * The installation root of a module: the directory holding the topmost `node_modules` on its real path, or,
 * outside any node_modules, the nearest directory with a package.json.
 */
export function installationRoot(moduleDir: string): string {
  const real = safeRealpath(moduleDir);
  const parts = real.split(sep);
  const at = parts.indexOf('node_modules');
  if (at > 0) return parts.slice(0, at).join(sep) || parse(real).root;
  for (let dir = real; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return real;
  }
}

export function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

const CONDITIONS = new Set(['node', 'import', 'default']);

/** The file `import()` loads for `subpath` of the package in `packageDir`, or undefined. */
export function entryFile(packageDir: string, subpath = '.'): string | undefined {
  const pkg = readJson(join(packageDir, 'package.json'));
  if (!pkg) return undefined;
  let target: string | undefined;
  if (pkg.exports !== undefined && pkg.exports !== null) {
    let exportsField: unknown = pkg.exports;
    const map = typeof exportsField === 'object' && !Array.isArray(exportsField);
    if (map && Object.keys(exportsField as object).some((k) => k.startsWith('.'))) {
      exportsField = (exportsField as Record<string, unknown>)[subpath];
    } else if (subpath !== '.') {
      return undefined;
    }
    target = pickCondition(exportsField);
  } else {
    const main = subpath === '.' ? (typeof pkg.main === 'string' ? pkg.main : 'index.js') : subpath;
    target = [main, `${main}.js`, `${main}/index.js`]
      .map((m) => (m.startsWith('./') ? m : `./${m}`))
      .find((m) => isFile(join(packageDir, m)));
  }
  if (!target?.startsWith('./') || target.split(/[\\/]/).includes('..')) return undefined;
  const file = join(packageDir, target);
  return isFile(file) ? file : undefined;
}

function pickCondition(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const picked = pickCondition(item);
      if (picked) return picked;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [condition, inner] of Object.entries(value)) {
      if (!CONDITIONS.has(condition)) continue;
      const picked = pickCondition(inner);
      if (picked) return picked;
    }
  }
  return undefined;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
