/**
 * Loads the master key from where the options point: a value given directly, or a master key file read on
 * first use (never at import or construction time).
 */
import { readRegularFile } from './bounded-read.js';
import { configError, fromFsError, hasErrno } from './errors.js';
import { type MasterKey, parseMasterKey } from './master-key.js';
import type { ModeWarner } from './mode-warning.js';
import type { MasterKeySource } from './options.js';

/** A master key file holds one key or passphrase and a newline; this leaves room for any real one. */
export const MAX_MASTER_KEY_FILE_BYTES = 64 * 1024;

/** Keeps the master key file's value out of any error: only its path and length problems are reported. */
export async function loadMasterKey(source: MasterKeySource, warnMode: ModeWarner): Promise<MasterKey> {
  if (source.kind === 'value') return source.key;
  let text: string;
  try {
    const bytes = await readRegularFile(
      source.path,
      { maxBytes: MAX_MASTER_KEY_FILE_BYTES, what: 'the master key file' },
      (mode) => warnMode(source.path, mode),
    );
    text = Buffer.from(bytes).toString('utf8');
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) {
      throw configError(
        `the master key file ${source.path} (PHLOW_MASTER_KEY_FILE) does not exist; create it with \`phlow-keys init\` or write generateMasterKey() into it`,
      );
    }
    throw fromFsError(error, 'read the master key file', source.path);
  }
  return parseMasterKey(text.trim(), `the master key file ${source.path}`);
}
