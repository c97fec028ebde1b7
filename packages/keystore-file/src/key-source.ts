/**
 * Loads the master key from where the options point: a value given directly, or a master key file read on
 * first use (never at import or construction time).
 */
import { open } from 'node:fs/promises';
import { configError, fromFsError, hasErrno } from './errors.js';
import { type MasterKey, parseMasterKey } from './master-key.js';
import type { ModeWarner } from './mode-warning.js';
import type { MasterKeySource } from './options.js';

/** Keeps the master key file's value out of any error: only its path and length problems are reported. */
export async function loadMasterKey(source: MasterKeySource, warnMode: ModeWarner): Promise<MasterKey> {
  if (source.kind === 'value') return source.key;
  let text: string;
  try {
    const handle = await open(source.path, 'r');
    try {
      warnMode(source.path, (await handle.stat()).mode);
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
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
