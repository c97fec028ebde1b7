/**
 * `phlow-keys rekey`: re-encrypts the encrypted key file under a new master key (the file store's `rekey`,
 * one atomic replace). The new key comes from `--new-master-key-file <path>`, or is generated:
 *
 * - master key from a file F (PHLOW_MASTER_KEY_FILE, or the `.phlow/master.key` fallback): the package's
 *   `rekeyWithMasterKeyFile` copies the old key to `F.old-<time>`, writes the new one to `F.new`,
 *   re-encrypts, then renames `F.new` over F. Killed between re-encrypting and renaming, every command keeps
 *   working (the store falls back to `F.new` and warns), and the next rekey finishes first: what an
 *   interrupted rekey left is finished or discarded before anything else, on every path below.
 *   With `--new-master-key-file` and the `.phlow/master.key` fallback, that file is renamed to `.old-<time>`
 *   too, so it is not picked up again.
 * - master key from PHLOW_MASTER_KEY: the new key is written to `.phlow/master.key` (which must not exist);
 *   the old key stays in your environment until you unset it.
 *
 * Refused before anything is written: a missing key file (rekey would create an empty one), and a new master
 * key file that group or others can read or that holds a passphrase shorter than MIN_NEW_PASSPHRASE.
 *
 * The file is read with the new key afterwards and its key ids compared before success is reported.
 */
import { existsSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { auditFailure, KeyManager, type KeyStore, KeyStoreError } from '@phlow/keys-core';
import type { FileKeyStore } from '@phlow/keystore-file';
import { readBoundedInput } from '../../bounded-input.js';
import { type CommandContext, stringValue } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { refuseMissingKeyFile } from '../../key-file.js';
import { writeNewPrivateFile } from '../../private-files.js';
import {
  chooseStore,
  DEFAULT_MASTER_KEY_FILE,
  isFileStoreType,
  isRawMasterKey,
  masterKeySetting,
  openStore,
} from '../../store.js';
import { UsageError } from '../../usage-error.js';
import { describeUserInput } from '../../user-input.js';

function isFileKeyStore(store: KeyStore): store is FileKeyStore {
  return (
    typeof (store as Partial<FileKeyStore>).rekey === 'function' &&
    typeof (store as Partial<FileKeyStore>).path === 'string'
  );
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');

/** `<file>.old-<time>`, or with `-2`, `-3`, ... when a rekey in the same second took that name. */
function freeOldName(file: string): string {
  const base = `${file}.old-${stamp()}`;
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    if (!existsSync(name)) return name;
  }
}

/** The largest `--new-master-key-file` read (a raw key is 44 characters; a passphrase a line). */
const MAX_MASTER_KEY_FILE_BYTES = 64 * 1024;

/**
 * The shortest passphrase taken as a NEW master key, in characters. Existing files keep opening with shorter
 * ones; a raw `base64:`/`hex:` key (the package's prefix rule) is 32 random bytes and has no such limit.
 */
export const MIN_NEW_PASSPHRASE = 16;

const OPTION = '--new-master-key-file';

/** How to get a key that passes: what `init` writes, generateMasterKey()'s form. */
const MAKE_RAW_KEY =
  "write a raw key instead: (umask 077; node -e \"console.log('base64:' + require('crypto').randomBytes(32).toString('base64'))\" > new.key), or run `phlow-keys rekey` without --new-master-key-file to generate one";

/**
 * Reads the new master key from `given` and refuses, before anything is written, a file others can read and
 * a passphrase too short to be a new master key. Returns the key's text.
 */
async function readNewMasterKey(
  context: CommandContext,
  given: string,
  isShared: (mode: number) => boolean,
): Promise<string> {
  const { bytes, over, mode } = await readBoundedInput(context, given, MAX_MASTER_KEY_FILE_BYTES, {
    what: OPTION,
    stdin: false,
    command: 'rekey',
  });
  if (over) {
    throw new UsageError(
      `${OPTION} is over ${MAX_MASTER_KEY_FILE_BYTES / 1024} KiB: a master key file holds one key (phlow-keys init writes one)`,
      'rekey',
    );
  }
  if (mode !== undefined && isShared(mode)) {
    const shown = (mode & 0o777).toString(8).padStart(3, '0');
    throw new UsageError(
      `${OPTION} ${describeUserInput(given)} can be read by other users (mode ${shown}): run chmod 600 on it, then rekey again`,
      'rekey',
    );
  }
  const text = Buffer.from(bytes).toString('utf8').trim();
  // A raw key's 32 bytes are checked by the store; a passphrase's length is said, never the passphrase.
  if (!isRawMasterKey(text) && [...text].length < MIN_NEW_PASSPHRASE) {
    throw new UsageError(
      `${OPTION} holds a ${[...text].length}-character passphrase; a new master key passphrase needs at least ${MIN_NEW_PASSPHRASE} characters: use a longer one, or ${MAKE_RAW_KEY}`,
      'rekey',
    );
  }
  return text;
}

export async function run(context: CommandContext): Promise<ExitCode> {
  const { env, cwd, out } = context;
  if (context.positionals.length > 0) throw new UsageError('rekey takes no arguments', 'rekey');
  const { type } = chooseStore(context.flags.store, env);
  if (!isFileStoreType(type)) {
    throw new KeyStoreError('UNSUPPORTED', `rekey works on the encrypted_file store only, not ${type}`, {
      storeType: type,
    });
  }
  // Rekeying a file that is not there would write a new, empty one and call it done.
  refuseMissingKeyFile(type, env, cwd);
  const current = masterKeySetting(env, cwd);
  const givenFile = stringValue(context.values, 'new-master-key-file');
  const show = (path: string) => relative(cwd, path) || path;

  // The adapter loads with the command that uses it, not with every CLI start.
  const { createFileKeyStore, generateMasterKey, isSharedFileMode } = await import('@phlow/keystore-file');
  const store = await openStore(type, { env, cwd, onWarning: (m) => out.warn(m) });
  // One `rekey` event, success or failure with its code, built by core as every key access is (its caller
  // rule and sink), through a KeyManager over the store; marked as the CLI's.
  const audit = new KeyManager({ store, env });
  const started = performance.now();
  let result: { masterKeyFile: string; backup: string | null; keyFile: string; keys: number };
  try {
    if (!isFileKeyStore(store)) {
      throw new KeyStoreError('UNSUPPORTED', 'this encrypted_file adapter has no rekey', {
        storeType: type,
      });
    }
    const { finishInterruptedRekey, rekeyWithMasterKeyFile } = await import('@phlow/keystore-file');
    // The new key is checked before anything is finished, renamed or re-encrypted.
    let newKey: string | undefined;
    if (givenFile !== undefined) {
      if (current.file === resolve(cwd, givenFile)) {
        throw new UsageError(
          `${OPTION} is the current master key file: write the new key to another file`,
          'rekey',
        );
      }
      newKey = await readNewMasterKey(context, givenFile, isSharedFileMode);
    }
    // What a killed rekey left beside the current key file is finished (or discarded) first.
    if (current.file !== undefined) await finishInterruptedRekey(store, current.file);
    // Proves the current key opens the file before anything is written.
    const before = await store.listKeyIds();
    let masterKeyFile: string;
    let backup: string | null = null;
    if (givenFile !== undefined && newKey !== undefined) {
      masterKeyFile = resolve(cwd, givenFile);
      await store.rekey(newKey);
      if (current.source === 'fallback') {
        // Left in place, the old .phlow/master.key would still be picked up and fail to open the file.
        backup = freeOldName(current.file!);
        await rename(current.file!, backup);
      }
    } else if (current.file !== undefined) {
      masterKeyFile = current.file;
      ({ backup } = await rekeyWithMasterKeyFile(store, masterKeyFile, generateMasterKey()));
    } else {
      masterKeyFile = resolve(cwd, DEFAULT_MASTER_KEY_FILE);
      const fresh = generateMasterKey();
      await writeNewPrivateFile(masterKeyFile, `${fresh}\n`).catch((error: unknown) => {
        throw (error as { code?: string }).code === 'EEXIST'
          ? new UsageError(
              `${show(masterKeyFile)} exists: pass --new-master-key-file <path> to choose where the new key comes from`,
              'rekey',
            )
          : error;
      });
      try {
        await store.rekey(fresh);
      } catch (error) {
        await unlink(masterKeyFile).catch(() => {});
        throw error;
      }
    }
    // Read back with nothing but the new key file, as the next start will.
    const reopened = createFileKeyStore({
      path: store.path,
      masterKeyFile,
      env: {},
      cwd,
      onWarning: (m) => out.warn(m),
    });
    const after = await reopened.listKeyIds();
    await reopened.close();
    if (after.join('\n') !== before.join('\n')) {
      throw new KeyStoreError(
        'INTEGRITY',
        `${show(store.path)} holds different key ids after rekey; restore the master key from ${backup ? show(backup) : 'your previous setting'}`,
        { storeType: type },
      );
    }
    result = { masterKeyFile, backup, keyFile: store.path, keys: after.length };
    audit.recordAudit('rekey', undefined, started, { outcome: 'success', tool: 'phlow-keys' });
  } catch (error) {
    audit.recordAudit('rekey', undefined, started, { ...auditFailure(error), tool: 'phlow-keys' });
    throw error;
  } finally {
    await store.close?.();
  }

  const nextEnv =
    current.source === 'fallback' && givenFile === undefined
      ? {}
      : { PHLOW_MASTER_KEY_FILE: show(result.masterKeyFile) };
  if (out.json) {
    out.data({
      keyFile: show(result.keyFile),
      masterKeyFile: show(result.masterKeyFile),
      backup: result.backup ? show(result.backup) : null,
      keys: result.keys,
      env: nextEnv,
      unset: current.source === 'PHLOW_MASTER_KEY' ? ['PHLOW_MASTER_KEY'] : [],
    });
    return EXIT.OK;
  }
  out.line(
    `${out.paint('green', 'rekeyed')} ${show(result.keyFile)} (${result.keys} key${result.keys === 1 ? '' : 's'})`,
  );
  out.fields([
    ['new master key', show(result.masterKeyFile)],
    [
      'old master key',
      result.backup
        ? `${show(result.backup)} (delete it once everything works)`
        : current.source === 'PHLOW_MASTER_KEY'
          ? 'still in PHLOW_MASTER_KEY'
          : 'unchanged in its file',
    ],
  ]);
  if (current.source === 'PHLOW_MASTER_KEY')
    out.line('Now: unset PHLOW_MASTER_KEY (it takes precedence over the key file).');
  for (const [name, value] of Object.entries(nextEnv))
    out.line(`Now: export ${name}=${value} wherever the key file is used.`);
  return EXIT.OK;
}
