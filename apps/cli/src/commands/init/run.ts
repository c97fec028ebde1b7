/**
 * `phlow-keys init`: sets up the encrypted file store in the working directory, so keys can be generated with
 * no server at all: `.phlow/` (0700), a random master key in `.phlow/master.key` (0600), an empty encrypted
 * key file, and `.phlow/` in .gitignore. It never overwrites a master key: the keys sealed with it would be lost.
 */
import { unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { KeyStoreError } from '@phlow/keys-core';
import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { ensurePrivateDirectory, pathTaken, writeNewPrivateFile } from '../../private-files.js';
import { DEFAULT_MASTER_KEY_FILE, isFileStoreType, PHLOW_DIR } from '../../store.js';
import { UsageError } from '../../usage-error.js';
import { describeUserInput } from '../../user-input.js';
import { ensureIgnored } from './gitignore.js';

export async function run(context: CommandContext): Promise<ExitCode> {
  const { out, cwd, env } = context;
  if (context.positionals.length > 0) throw new UsageError('init takes no arguments', 'init');
  if (context.flags.store !== undefined && !isFileStoreType(context.flags.store)) {
    throw new UsageError(
      `init sets up the encrypted_file store; --store ${describeUserInput(context.flags.store)} cannot be initialised`,
      'init',
    );
  }
  const show = (path: string) => relative(cwd, path) || '.';
  const directory = resolve(cwd, PHLOW_DIR);
  const masterKeyFile = resolve(cwd, DEFAULT_MASTER_KEY_FILE);
  // The adapter loads with the command that uses it, not with every CLI start.
  const { createFileKeyStore, DEFAULT_FILE, generateMasterKey } = await import('@phlow/keystore-file');
  const keyFile = resolve(cwd, env.PHLOW_KEY_STORE_FILE || DEFAULT_FILE);
  if (await pathTaken(masterKeyFile)) {
    throw new KeyStoreError(
      'CONFLICT',
      `${show(masterKeyFile)} already exists: init never overwrites a master key, because the keys encrypted with it would be lost. Use \`phlow-keys rekey\` to change it`,
      { storeType: 'encrypted_file' },
    );
  }
  if (await pathTaken(keyFile)) {
    throw new KeyStoreError(
      'CONFLICT',
      `${show(keyFile)} already exists and is encrypted with another master key: set PHLOW_MASTER_KEY or PHLOW_MASTER_KEY_FILE to that key instead of running init`,
      { storeType: 'encrypted_file' },
    );
  }

  await ensurePrivateDirectory(directory);
  const masterKey = generateMasterKey();
  await writeNewPrivateFile(masterKeyFile, `${masterKey}\n`);
  try {
    const store = createFileKeyStore({
      path: keyFile,
      masterKeyFile,
      env: {},
      cwd,
      onWarning: (m) => out.warn(m),
    });
    // Re-sealing an empty store under its own key writes an empty key file, so that a wrong key later
    // fails at once (ACCESS_DENIED) instead of silently starting a second, separate file.
    await store.rekey(masterKey);
    await store.close();
  } catch (error) {
    await unlink(masterKeyFile).catch(() => {});
    throw error;
  }

  const ignored = [`${PHLOW_DIR}/`];
  const keyFileRelative = relative(cwd, keyFile);
  if (
    !keyFileRelative.startsWith(`${PHLOW_DIR}/`) &&
    !keyFileRelative.startsWith('..') &&
    !isAbsolute(keyFileRelative)
  ) {
    ignored.push(keyFileRelative, `${keyFileRelative}.*`);
  }
  const gitignore = join(cwd, '.gitignore');
  const ignoring = await ensureIgnored(
    gitignore,
    ignored,
    'phlow-keys: master key and encrypted keys, never commit them',
  );
  const { added } = ignoring;
  const skipped = 'skipped' in ignoring ? ignoring.skipped : undefined;

  if (skipped) {
    out.warn(
      `${show(gitignore)} was not changed because ${skipped}: add ${ignored.join(', ')} to it yourself`,
    );
  }
  const exports = {
    PHLOW_KEY_STORE_TYPE: 'encrypted_file',
    PHLOW_MASTER_KEY_FILE: DEFAULT_MASTER_KEY_FILE,
  };
  if (out.json) {
    out.data({
      directory: show(directory),
      masterKeyFile: show(masterKeyFile),
      keyFile: show(keyFile),
      gitignore: { path: show(gitignore), added, ...(skipped ? { skipped } : {}) },
      env: exports,
    });
    return EXIT.OK;
  }
  out.line(`${out.paint('green', 'initialised')} an encrypted key store in ${show(directory)}/`);
  out.fields([
    ['master key', `${show(masterKeyFile)} (mode 0600; back it up: without it the keys cannot be read)`],
    ['key file', show(keyFile)],
    [
      '.gitignore',
      skipped
        ? `not changed (${skipped})`
        : added.length > 0
          ? `added ${added.join(', ')}`
          : `already ignores ${ignored.join(', ')}`,
    ],
  ]);
  out.line();
  out.line(`Next: ${out.paint('bold', 'phlow-keys generate my-agent')}`);
  out.line('phlow-keys finds .phlow/master.key by itself in this directory. For your application, export:');
  for (const [name, value] of Object.entries(exports)) out.line(`  export ${name}=${value}`);
  const otherKey = env.PHLOW_MASTER_KEY
    ? 'PHLOW_MASTER_KEY'
    : env.PHLOW_MASTER_KEY_FILE && resolve(cwd, env.PHLOW_MASTER_KEY_FILE) !== masterKeyFile
      ? 'PHLOW_MASTER_KEY_FILE'
      : undefined;
  if (otherKey) {
    out.warn(
      `${otherKey} is set in this shell and takes precedence over ${DEFAULT_MASTER_KEY_FILE}: unset it`,
    );
  }
  return EXIT.OK;
}
