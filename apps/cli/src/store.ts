/**
 * Choosing and opening the key store a command works on.
 *
 * Which store: `--store <type>`, else PHLOW_KEY_STORE_TYPE, else `encrypted_file`. The CLI's default differs
 * from the library's (`createKeyStoreFromEnv` falls back to the read-only `environment` store outside
 * production) because the CLI exists to write keys, and a local encrypted file needs no server.
 *
 * Where the adapter comes from: the core resolver first (the application's directory, then core's own), as
 * an application would load it; then the CLI's own location, so that the adapters installed with the CLI
 * (environment and encrypted_file always; vault and aws when installed next to it) work from any directory.
 * A type found nowhere is the resolver's ADAPTER_NOT_FOUND error, which names the install command.
 *
 * The file store's master key: with neither PHLOW_MASTER_KEY nor PHLOW_MASTER_KEY_FILE set, `.phlow/master.key`
 * in the working directory is used when it exists, so every command works right after `phlow-keys init`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type Env,
  isBuiltInStoreType,
  type KeyStore,
  type KeyStoreProvider,
  loadKeyStoreProvider,
} from '@phlow/keys-core';
import { UsageError } from './usage-error.js';
import { describeUserInput, looksLikeKeyMaterial } from './user-input.js';

/** What `phlow-keys` uses when neither `--store` nor PHLOW_KEY_STORE_TYPE is given. */
export const CLI_DEFAULT_STORE = 'encrypted_file';
/** Written by `init`, used when no master key is configured. Relative to the working directory. */
export const DEFAULT_MASTER_KEY_FILE = '.phlow/master.key';
/**
 * The file store's default key file (`@phlow/keystore-file`'s DEFAULT_FILE), repeated here so that naming a
 * missing key file loads no adapter; test/startup.test.ts checks that both agree.
 */
export const DEFAULT_KEY_FILE = '.phlow/keys.enc';
export const PHLOW_DIR = '.phlow';

export interface StoreChoice {
  readonly type: string;
  /** Where the type came from, shown by `doctor`. */
  readonly source: '--store' | 'PHLOW_KEY_STORE_TYPE' | 'default';
}

export function chooseStore(flag: string | undefined, env: Env): StoreChoice {
  if (flag !== undefined && flag.trim() !== '') return { type: flag.trim(), source: '--store' };
  const fromEnv = env.PHLOW_KEY_STORE_TYPE?.trim();
  if (fromEnv) return { type: fromEnv, source: 'PHLOW_KEY_STORE_TYPE' };
  return { type: CLI_DEFAULT_STORE, source: 'default' };
}

export function isFileStoreType(type: string): boolean {
  return type === 'encrypted_file' || type === 'file';
}

export interface MasterKeySetting {
  /** `PHLOW_MASTER_KEY`, `PHLOW_MASTER_KEY_FILE`, the `.phlow/master.key` fallback, or nothing. */
  readonly source: 'PHLOW_MASTER_KEY' | 'PHLOW_MASTER_KEY_FILE' | 'fallback' | 'none';
  /** Absolute path of the master key file, when the key comes from a file. */
  readonly file?: string;
}

/**
 * The file store's rule for a master key given as text: `base64:` or `hex:` (after leading whitespace) is a raw
 * key, anything else a passphrase. Only the prefix is looked at; nothing of the value is returned.
 */
export function isRawMasterKey(text: string): boolean {
  const trimmed = text.trimStart();
  return trimmed.startsWith('base64:') || trimmed.startsWith('hex:');
}

/** Where the file store's master key will come from, with the `.phlow/master.key` fallback applied. */
export function masterKeySetting(env: Env, cwd: string): MasterKeySetting {
  if (env.PHLOW_MASTER_KEY) return { source: 'PHLOW_MASTER_KEY' };
  if (env.PHLOW_MASTER_KEY_FILE) {
    return { source: 'PHLOW_MASTER_KEY_FILE', file: resolve(cwd, env.PHLOW_MASTER_KEY_FILE) };
  }
  const fallback = resolve(cwd, DEFAULT_MASTER_KEY_FILE);
  return existsSync(fallback) ? { source: 'fallback', file: fallback } : { source: 'none' };
}

/** The environment a store of `type` is created with: for the file store, the master key fallback filled in. */
export function storeEnv(type: string, env: Env, cwd: string): Env {
  if (!isFileStoreType(type)) return env;
  const setting = masterKeySetting(env, cwd);
  return setting.source === 'fallback' ? { ...env, PHLOW_MASTER_KEY_FILE: setting.file } : env;
}

/** The stores the CLI depends on, by every name they answer to: loaded from the CLI's own installation. */
const SHIPPED: Readonly<Record<string, () => Promise<{ default: KeyStoreProvider }>>> = {
  encrypted_file: () => import('@phlow/keystore-file'),
  file: () => import('@phlow/keystore-file'),
  environment: () => import('@phlow/keystore-env'),
  env: () => import('@phlow/keystore-env'),
};

/** The adapter for `type` (see the opening comment for where each kind of name comes from). */
export async function loadProvider(type: string, cwd: string): Promise<KeyStoreProvider> {
  if (looksLikeKeyMaterial(type)) {
    // The resolver quotes the names it tried, and a key pasted as --store would be one of them.
    throw new UsageError(
      `the store type is ${describeUserInput(type)}: give a type such as encrypted_file, vault or aws`,
    );
  }
  const shipped = Object.hasOwn(SHIPPED, type) ? SHIPPED[type] : undefined;
  // Through the resolver even so: it checks the provider's shape and contract version.
  if (shipped) return loadKeyStoreProvider(type, { providers: [(await shipped()).default] });
  // The CLI's own installation through the resolver's safe lookup: never a parent directory's node_modules,
  // never a world-writable one, and for a built-in name never the working directory.
  const installations = [import.meta.url];
  return loadKeyStoreProvider(type, isBuiltInStoreType(type) ? { installations } : { cwd, installations });
}

export interface OpenOptions {
  readonly env: Env;
  readonly cwd: string;
  /** Where adapters' warnings go (file modes, the environment store's development warning). */
  readonly onWarning: (message: string) => void;
}

/** Loads the adapter for `type` and creates the store, configured from `env` like `createKeyStoreFromEnv`. */
export async function openStore(type: string, options: OpenOptions): Promise<KeyStore> {
  const provider = await loadProvider(type, options.cwd);
  const create = provider.create as (o: Record<string, unknown>) => KeyStore | Promise<KeyStore>;
  return create({
    env: storeEnv(type, options.env, options.cwd),
    cwd: options.cwd,
    onWarning: options.onWarning,
  });
}
