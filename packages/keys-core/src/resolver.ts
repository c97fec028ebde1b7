/**
 * The resolver: turns a store type name (`PHLOW_KEY_STORE_TYPE`) into a KeyStore by loading its adapter
 * package at run time, so users install only the backend they use.
 *
 * Names, in the manner of Babel's standardizeName:
 *   built-in      environment|env, encrypted_file|file, vault, aws  -> @phlow/keystore-<env|file|vault|aws>
 *                 memory                                            -> the in-memory store in this package
 *   registered    registerKeyStore(name, provider)                   -> that provider
 *   foo                                                              -> @phlow/keystore-foo, then phlow-keystore-foo
 *   @acme/foo                                                        -> @acme/phlow-keystore-foo
 *   ./x, ../x, /x, file:..., module:pkg                             -> that path or package, as given
 * Packages are resolved from the application's directory first, then from this package's own location.
 */
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
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

const BUILT_IN: Record<string, string> = {
  environment: 'env',
  env: 'env',
  encrypted_file: 'file',
  file: 'file',
  vault: 'vault',
  aws: 'aws',
};

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
  /** The application's directory, searched first. Default: `process.cwd()`. */
  readonly cwd?: string;
}

/** The package names (or path) tried for a store type, in order. */
export function candidateModules(type: string): string[] {
  const builtIn = BUILT_IN[type];
  if (builtIn) return [`@phlow/keystore-${builtIn}`];
  if (type.startsWith('module:')) return [type.slice('module:'.length)];
  if (type.startsWith('file:') || type.startsWith('.') || isAbsolute(type)) return [type];
  const scoped = /^(@[^/]+)\/(.+)$/.exec(type);
  if (scoped) return [`${scoped[1]}/phlow-keystore-${scoped[2]}`];
  return [`@phlow/keystore-${type}`, `phlow-keystore-${type}`];
}

const NAME_PATTERN =
  /^(?:(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*|module:.+|file:.+|\.{1,2}\/.+|\/.+)$/;

/** Loads the provider for a store type. ADAPTER_NOT_FOUND lists every name tried and how to install it. */
export async function loadKeyStoreProvider(
  type: string,
  options: ResolveOptions = {},
): Promise<KeyStoreProvider> {
  const registered = registry.get(type);
  if (registered) return registered;
  if (type === 'memory') return memoryProvider;
  if (typeof type !== 'string' || !NAME_PATTERN.test(type)) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `PHLOW_KEY_STORE_TYPE=${JSON.stringify(type)} is not a store name: use environment, encrypted_file, vault, aws, or an adapter package name`,
    );
  }
  const cwd = options.cwd ?? process.cwd();
  const bases = [join(cwd, 'package.json'), import.meta.url];
  const tried: string[] = [];
  for (const candidate of candidateModules(type)) {
    const specifier = candidate.startsWith('file:')
      ? candidate
      : candidate.startsWith('.') || isAbsolute(candidate)
        ? resolvePath(cwd, candidate)
        : candidate;
    const location = resolveFrom(specifier, bases);
    tried.push(candidate);
    if (!location) continue;
    let mod: unknown;
    try {
      mod = await import(location.startsWith('file:') ? location : pathToFileURL(location).href);
    } catch (cause) {
      throw new KeyStoreError(
        'ADAPTER_NOT_FOUND',
        `found ${candidate} for store type "${type}" but it failed to load: reinstall it (its own dependencies may be missing)`,
        { cause },
      );
    }
    return checkProvider(unwrapDefault(mod), candidate);
  }
  const install =
    tried[0]!.startsWith('.') || tried[0]!.startsWith('/') || tried[0]!.startsWith('file:')
      ? ''
      : ` Install it: npm install ${tried[0]} (or pnpm add ${tried[0]}).`;
  throw new KeyStoreError(
    'ADAPTER_NOT_FOUND',
    `no key store adapter for "${type}": tried ${tried.join(', ')} from ${cwd} and from @phlow/keys-core.${install}`,
  );
}

/** Loads the adapter for `type` and creates a store with `options` (unset options come from `options.env`). */
export async function resolveKeyStore(
  type: string,
  options: KeyStoreFactoryOptions & Record<string, unknown> = {},
): Promise<KeyStore> {
  const provider = await loadKeyStoreProvider(type, { cwd: options.cwd });
  return provider.create(options);
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
  return resolveKeyStore(type, { env, ...(options.cwd ? { cwd: options.cwd } : {}) });
}

function resolveFrom(specifier: string, bases: readonly string[]): string | undefined {
  if (specifier.startsWith('file:')) return specifier;
  for (const base of bases) {
    try {
      return createRequire(base).resolve(specifier);
    } catch {
      // not resolvable from this base; try the next
    }
  }
  return undefined;
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
