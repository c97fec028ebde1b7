/**
 * The resolver: turns a store type name (`PHLOW_KEY_STORE_TYPE`) into a KeyStore, so users install only the
 * backend they use. In order: the `providers` the caller imported statically (the path for bundled
 * applications), stores registered with registerKeyStore, the built-in memory store, then the adapter
 * package, loaded at run time. Names map to packages as adapter-names.ts says; packages are loaded only from
 * where someone installed them on purpose, as safe-lookup.ts says.
 *
 * A built-in name (environment, encrypted_file, vault, aws, vault_transit, pkcs11, aws_kms and their aliases)
 * is never looked up from the directory the process happens to run in: a checkout or download the user cd'd
 * into could hold its own `node_modules/@phlow/keystore-file` (and a package.json listing it), and the store
 * is created with the master key or the Vault token in the environment. It comes from the application: the
 * entry script's own directory's node_modules, the `cwd` the caller passes (its statement of where the
 * application is), the package of the entry script (`process.argv[1]`, symlinks resolved), the installation
 * this copy of core lives in, then `installations`.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  BUILT_IN,
  candidateModules,
  canonicalType,
  isBuiltInStoreType,
  isPathType,
  NAME_PATTERN,
} from './adapter-names.js';
import { defaultEnv } from './config.js';
import {
  defineKeyStoreProvider,
  type Env,
  KEYSTORE_CONTRACT_VERSION,
  type KeyStore,
  type KeyStoreFactoryOptions,
  type KeyStoreProvider,
} from './contract.js';
import { KeyStoreError } from './errors.js';
import { createMemoryKeyStore } from './memory-store.js';
import {
  declaringApp,
  entryFile,
  installationRoot,
  type Located,
  lookupFrom,
  packageNameOf,
  type Refusal,
  safeRealpath,
} from './safe-lookup.js';

export { candidateModules, isBuiltInStoreType } from './adapter-names.js';

const registry = new Map<string, KeyStoreProvider>();

const memoryProvider = defineKeyStoreProvider({ type: 'memory', create: () => createMemoryKeyStore() });

/** Makes `name` resolve to `provider` in this process (for stores that are not packages). */
export function registerKeyStore(name: string, provider: KeyStoreProvider): void {
  checkProvider(provider, `registerKeyStore(${JSON.stringify(name)})`);
  registry.set(name, provider);
}

export function unregisterKeyStore(name: string): void {
  registry.delete(name);
}

export interface ResolveOptions {
  /**
   * The application's directory. The application is the nearest package.json at or above it that lists the
   * adapter package in its dependencies. Default: `process.cwd()` for other names; for a built-in name, unset
   * means the entry script's package and this copy of core's installation, never the working directory.
   */
  readonly cwd?: string;
  /**
   * Adapter providers imported statically (`import vault from '@phlow/keystore-vault'`), matched by their
   * `type` and the built-in aliases (`env`/`environment`, `file`/`encrypted_file`) before any package is
   * loaded. Bundled applications (esbuild, webpack, AWS Lambda) must use this: a bundle cannot load packages by
   * name. Default: none.
   */
  readonly providers?: readonly KeyStoreProvider[];
  /**
   * Other installations adapters may be loaded from, each the URL or path of a module inside one (the CLI
   * passes its own `import.meta.url`, so the adapters installed with it work from any directory). Searched
   * after the application and this copy of core's own installation. Default: none.
   */
  readonly installations?: readonly (string | URL)[];
}

/** This copy of core's directory, when it runs from a file (not, say, from a CommonJS bundle). */
function ownDirectory(): string | undefined {
  try {
    const url: string | undefined = import.meta.url;
    return url?.startsWith('file:') ? dirname(fileURLToPath(url)) : undefined;
  } catch {
    return undefined;
  }
}

/** The directory of the entry script (`node app.js` -> app.js's real directory), when there is one. */
function entryDirectory(): string[] {
  const main = process.argv[1];
  return typeof main === 'string' && isAbsolute(main) ? [dirname(safeRealpath(main))] : [];
}

function directoryOf(installation: string | URL): string {
  const path = String(installation).startsWith('file:') ? fileURLToPath(installation) : String(installation);
  try {
    return statSync(path).isDirectory() ? path : dirname(path);
  } catch {
    return dirname(path);
  }
}

/** The first of `providers` whose type is `type` (or its built-in alias). */
function matchProvider(type: string, providers: readonly KeyStoreProvider[]): KeyStoreProvider | undefined {
  if (!Array.isArray(providers)) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      'the providers option must be an array of key store providers (the default exports of adapter packages)',
    );
  }
  const wanted = canonicalType(type);
  for (const [i, provider] of providers.entries()) {
    const p = provider as Partial<KeyStoreProvider> | null | undefined;
    if (typeof p?.type === 'string' && canonicalType(p.type) === wanted) {
      return checkProvider(provider, `providers[${i}] (type "${p.type}")`);
    }
  }
  return undefined;
}

/**
 * Loads the provider for a store type. ADAPTER_NOT_FOUND lists every name tried, where it looked, what it
 * found and would not load, how to install the adapter, and what to do in a bundled application.
 */
export async function loadKeyStoreProvider(
  type: string,
  options: ResolveOptions = {},
): Promise<KeyStoreProvider> {
  const given = options.providers ? matchProvider(type, options.providers) : undefined;
  if (given) return given;
  const registered = registry.get(type);
  if (registered) return registered;
  if (type === 'memory') return memoryProvider;
  if (typeof type !== 'string' || !NAME_PATTERN.test(type)) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `PHLOW_KEY_STORE_TYPE=${shown(type)} is not a store name: use environment, encrypted_file, vault, aws, or an adapter package name`,
    );
  }
  const cwd = options.cwd ?? process.cwd();
  const candidates = candidateModules(type);
  if (isPathType(type)) return loadPath(type, cwd);

  const builtIn = isBuiltInStoreType(type);
  // Where the application is: for a built-in name only what the caller said or the entry script's package
  // (see the opening comment); for any other name, which someone typed on purpose, the working directory too.
  const appStarts = builtIn
    ? [...(options.cwd === undefined ? [] : [options.cwd]), ...entryDirectory()]
    : [cwd];
  const own = ownDirectory();
  const installations = [...(own ? [own] : []), ...(options.installations ?? []).map(directoryOf)];
  const refused: Refusal[] = [];
  const apps = new Set<string>();
  let undeclared: { name: string; dir: string } | undefined;
  for (const candidate of candidates) {
    const name = packageNameOf(candidate);
    // The working directory's own node_modules first (never its parents': those only through an application);
    // for a built-in name, the entry script's directory's instead (a script with its node_modules beside it).
    for (const dir of builtIn ? entryDirectory() : [cwd]) {
      const here = lookupFrom(dir, candidate, resolvePath(dir));
      if (here.found) return importProvider(candidate, type, here.found);
      refused.push(...here.refused);
    }
    let found: Located | undefined;
    for (const start of appStarts) {
      const app = declaringApp(start, name);
      refused.push(...app.refused);
      if (app.dir) {
        apps.add(app.dir);
        // The application may be the adapter itself (its own tests, a demo inside it): Node's self-reference.
        const self = isPackageNamed(app.dir, name)
          ? entryFile(app.dir, subpathOf(candidate, name))
          : undefined;
        if (self) {
          found = { packageDir: app.dir, file: self };
        } else {
          const result = lookupFrom(app.dir, candidate);
          refused.push(...result.refused);
          found = result.found;
        }
      } else if (app.undeclaredIn && !undeclared) {
        undeclared = { name, dir: app.undeclaredIn };
      }
      if (found) break;
    }
    for (const dir of found ? [] : installations) {
      const result = lookupFrom(dir, candidate, installationRoot(dir));
      refused.push(...result.refused);
      found = result.found;
      if (found) break;
    }
    if (found) return importProvider(candidate, type, found);
  }
  throw notFound(type, candidates, { cwd, builtIn, apps, installations, refused, undeclared, options });
}

function isPackageNamed(dir: string, name: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === name;
  } catch {
    return false;
  }
}

function subpathOf(specifier: string, name: string): string {
  return specifier === name ? '.' : `.${specifier.slice(name.length)}`;
}

async function loadPath(type: string, cwd: string): Promise<KeyStoreProvider> {
  let path: string;
  try {
    path = type.startsWith('file:') ? fileURLToPath(type) : resolvePath(cwd, type);
  } catch {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `PHLOW_KEY_STORE_TYPE=${JSON.stringify(type)} is not a usable file: URL (for example file:///srv/app/my-store.js)`,
    );
  }
  let file: string | undefined = path;
  try {
    if (statSync(path).isDirectory()) file = entryFile(path);
  } catch {
    file = undefined;
  }
  if (!file) {
    throw new KeyStoreError(
      'ADAPTER_NOT_FOUND',
      `no key store adapter at ${JSON.stringify(type)}: ${path} does not exist (a path is resolved from ${cwd})`,
    );
  }
  return importProvider(type, type, { packageDir: path, file });
}

async function importProvider(candidate: string, type: string, found: Located): Promise<KeyStoreProvider> {
  const where = `found ${candidate} for store type "${type}" (${safeRealpath(found.packageDir)}) but it`;
  let mod: unknown;
  try {
    mod = await import(pathToFileURL(found.file).href);
  } catch (cause) {
    throw new KeyStoreError(
      'ADAPTER_NOT_FOUND',
      `${where} failed to load: reinstall it (its own dependencies may be missing); the cause says why`,
      { cause },
    );
  }
  return checkProvider(unwrapDefault(mod), where);
}

function notFound(
  type: string,
  tried: readonly string[],
  context: {
    cwd: string;
    builtIn: boolean;
    apps: ReadonlySet<string>;
    installations: readonly string[];
    refused: readonly Refusal[];
    undeclared: { name: string; dir: string } | undefined;
    options: ResolveOptions;
  },
): KeyStoreError {
  const { cwd, builtIn, apps, installations, refused, undeclared, options } = context;
  const places = [
    apps.size > 0
      ? `the application (${[...apps].join(', ')})`
      : builtIn
        ? `no application: no package.json at or above ${options.cwd === undefined ? 'the entry script' : cwd} lists ${tried.join(' or ')} in its dependencies (a built-in store is never loaded from the working directory; pass the application's directory as the cwd option)`
        : `no application: no package.json at or above ${cwd} lists ${tried.join(' or ')} in its dependencies`,
    ...installations.map((dir) => `the installation at ${installationRoot(dir)}`),
  ];
  const parts = [
    `no key store adapter for "${type}": tried ${tried.join(', ')}; looked in ${places.join('; ')}.`,
  ];
  const seen = new Set<string>();
  for (const r of refused) {
    if (seen.has(r.path)) continue;
    seen.add(r.path);
    parts.push(
      `Found ${r.path} but did not load it: ${r.reason} (code is loaded only from directories that only you or root can change).`,
    );
  }
  if (undeclared) parts.push(`${undeclared.dir}/package.json does not list ${undeclared.name}.`);
  const first = tried[0]!;
  parts.push(`Install it in the application: npm install ${first} (or pnpm add ${first}).`);
  if (options.providers) {
    const types = options.providers.map((p) => JSON.stringify((p as { type?: unknown })?.type)).join(', ');
    parts.push(`The providers passed (${types || 'none'}) include none of type "${type}".`);
  }
  const suffix = BUILT_IN[type];
  const example = suffix ? `@phlow/keystore-${suffix}` : first;
  parts.push(
    `If the application is bundled (esbuild, webpack, AWS Lambda), adapters cannot be loaded by name: import the adapter and pass its provider, \`import provider from '${example}'\` and \`createKeyStoreFromEnv(process.env, { providers: [provider] })\` (see "Bundling" in the @phlow/keys-core README).`,
  );
  return new KeyStoreError('ADAPTER_NOT_FOUND', parts.join(' '));
}

/**
 * Loads the adapter for `type` and creates a store with `options` (unset options come from `options.env`).
 * `providers` and `installations` choose the adapter as in loadKeyStoreProvider and are not passed on.
 */
export async function resolveKeyStore(
  type: string,
  options: KeyStoreFactoryOptions & ResolveOptions & Record<string, unknown> = {},
): Promise<KeyStore> {
  const { providers, installations, ...storeOptions } = options;
  const provider = await loadKeyStoreProvider(type, { cwd: options.cwd, providers, installations });
  return provider.create(storeOptions);
}

/**
 * Creates the store that `PHLOW_KEY_STORE_TYPE` names, configured from the same environment.
 *
 * When `PHLOW_KEY_STORE_TYPE` is unset: outside production it is `environment`, as in the Python Phlow (and
 * that store warns that it is for development); with `NODE_ENV=production` it is an INVALID_CONFIG error,
 * because silently reading private keys from environment variables in production is what this project
 * exists to stop.
 */
export async function createKeyStoreFromEnv(
  env: Env = defaultEnv(),
  options: ResolveOptions = {},
): Promise<KeyStore> {
  const raw = env.PHLOW_KEY_STORE_TYPE?.trim();
  let type = raw;
  if (!type) {
    if (env.NODE_ENV === 'production') {
      throw new KeyStoreError(
        'INVALID_CONFIG',
        'PHLOW_KEY_STORE_TYPE is not set and NODE_ENV=production: choose a store explicitly (vault, aws or encrypted_file); environment variables are for development only',
      );
    }
    type = 'environment';
  }
  return resolveKeyStore(type, {
    env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.providers ? { providers: options.providers } : {}),
    ...(options.installations ? { installations: options.installations } : {}),
  });
}

/** A bad store name as a message may show it: never what could be key material pasted into the variable. */
function shown(type: unknown): string {
  if (typeof type !== 'string') return `(a ${type === null ? 'null' : typeof type})`;
  return /^[\x20-\x7e]{1,100}$/.test(type) && !type.includes('-----')
    ? JSON.stringify(type)
    : `(a ${type.length}-character value, not shown: it could be key material)`;
}

function unwrapDefault(mod: unknown): unknown {
  let value = mod;
  // ESM default export, and CommonJS interop's extra `default` layer.
  for (let i = 0; i < 2; i++) {
    const inner = (value as { default?: unknown } | null)?.default;
    if (inner && typeof inner === 'object') value = inner;
  }
  return value;
}

function checkProvider(value: unknown, source: string): KeyStoreProvider {
  const p = value as Partial<KeyStoreProvider> | null;
  if (
    !p ||
    typeof p !== 'object' ||
    typeof p.create !== 'function' ||
    typeof p.contractVersion !== 'string'
  ) {
    throw new KeyStoreError(
      'ADAPTER_INCOMPATIBLE',
      `${source} is not a key store adapter: its default export must be a provider { contractVersion, type, create } (see defineKeyStoreProvider)`,
    );
  }
  const major = (v: string) => v.split('.')[0];
  if (major(p.contractVersion) !== major(KEYSTORE_CONTRACT_VERSION)) {
    throw new KeyStoreError(
      'ADAPTER_INCOMPATIBLE',
      `${source} implements KeyStore contract ${p.contractVersion} but @phlow/keys-core implements ${KEYSTORE_CONTRACT_VERSION}: install versions of the two built for the same major contract version`,
    );
  }
  return p as KeyStoreProvider;
}
