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
import { writeNewPrivateFile } from '../../private-files.js';
import {
  chooseStore,
  DEFAULT_MASTER_KEY_FILE,
  isFileStoreType,
  masterKeySetting,
  openStore,
} from '../../store.js';
import { UsageError } from '../../usage-error.js';

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

export async function run(context: CommandContext): Promise<ExitCode> {
  const { env, cwd, out } = context;
  if (context.positionals.length > 0) throw new UsageError('rekey takes no arguments', 'rekey');
  const { type } = chooseStore(context.flags.store, env);
  if (!isFileStoreType(type)) {
    throw new KeyStoreError('UNSUPPORTED', `rekey works on the encrypted_file store only, not ${type}`, {
      storeType: type,
    });
  }
  const current = masterKeySetting(env, cwd);
  const givenFile = stringValue(context.values, 'new-master-key-file');
  const show = (path: string) => relative(cwd, path) || path;

  // The adapter loads with the command that uses it, not with every CLI start.
  const { createFileKeyStore, generateMasterKey } = await import('@phlow/keystore-file');
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
    // What a killed rekey left beside the current key file is finished (or discarded) first.
    if (current.file !== undefined) await finishInterruptedRekey(store, current.file);
    // Proves the current key opens the file before anything is written.
    const before = await store.listKeyIds();
    let masterKeyFile: string;
    let backup: string | null = null;
    if (givenFile !== undefined) {
      masterKeyFile = resolve(cwd, givenFile);
      if (current.file === masterKeyFile) {
        throw new UsageError(
          '--new-master-key-file is the current master key file: write the new key to another file',
          'rekey',
        );
      }
      const { bytes, over } = await readBoundedInput(context, masterKeyFile, MAX_MASTER_KEY_FILE_BYTES);
      if (over) {
        throw new UsageError(
          `--new-master-key-file is over ${MAX_MASTER_KEY_FILE_BYTES / 1024} KiB: a master key file holds one key (phlow-keys init writes one)`,
          'rekey',
        );
      }
      await store.rekey(Buffer.from(bytes).toString('utf8').trim());
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
