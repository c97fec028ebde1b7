/**
 * "No such key" is misleading when there is no key file at all (a typo in PHLOW_KEY_STORE_FILE, `init` not
 * run, the wrong working directory): then the answer names the file that is missing, so the user fixes the
 * path instead of generating keys into a second, empty file.
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { type Env, isKeyStoreError, KeyStoreError } from '@phlow/keys-core';
import { DEFAULT_KEY_FILE, isFileStoreType } from './store.js';

/** The key file of a file store of `type`, as the user would write it, when it does not exist. */
export function missingKeyFile(type: string, env: Env, cwd: string): string | undefined {
  if (!isFileStoreType(type)) return undefined;
  const path = resolve(cwd, env.PHLOW_KEY_STORE_FILE || DEFAULT_KEY_FILE);
  if (existsSync(path)) return undefined;
  const shown = relative(cwd, path);
  return shown.startsWith('..') ? path : shown;
}

/** What is said when the key file is missing: `file` as missingKeyFile shows it. */
function noKeyFile(file: string, env: Env): string {
  const setting = env.PHLOW_KEY_STORE_FILE ? 'PHLOW_KEY_STORE_FILE' : 'the default';
  return `there is no key file at ${file} (${setting}): run \`phlow-keys init\` here, or point PHLOW_KEY_STORE_FILE at your key file`;
}

/** `error`, or for a NOT_FOUND from a file store whose file is missing, the same error naming the file. */
export function withMissingKeyFile(error: unknown, type: string, env: Env, cwd: string): unknown {
  if (!isKeyStoreError(error, 'NOT_FOUND')) return error;
  const file = missingKeyFile(type, env, cwd);
  if (file === undefined) return error;
  return new KeyStoreError(
    'NOT_FOUND',
    `${error.keyId ? `no key pair "${error.keyId}": ` : ''}${noKeyFile(file, env)}`,
    { storeType: error.storeType, ...(error.keyId ? { keyId: error.keyId } : {}), cause: error },
  );
}

/**
 * For a command that must not start on a missing key file (`rekey` would otherwise write a new, empty one):
 * the NOT_FOUND that withMissingKeyFile gives, thrown before anything is opened.
 */
export function refuseMissingKeyFile(type: string, env: Env, cwd: string): void {
  const file = missingKeyFile(type, env, cwd);
  if (file === undefined) return;
  throw new KeyStoreError('NOT_FOUND', noKeyFile(file, env), { storeType: 'encrypted_file' });
}
