/**
 * Whether the file store's master key is a passphrase (stretched with scrypt by every process that opens the
 * store) or a raw key, for `doctor`'s note on start-up cost, by the file store's rule (isRawMasterKey in
 * store.ts). Only the prefix is looked at, and nothing of the value is ever returned or printed.
 */
import type { Env } from '@phlow/keys-core';
import { openRegularFile, readOpenedHead } from '@phlow/keys-core/adapter';
import { isRawMasterKey, type MasterKeySetting } from '../../store.js';

/** Enough for the prefix after any leading whitespace a file may hold. */
const HEAD_BYTES = 256;

/** True for a passphrase, false for a raw key, undefined when it cannot be told (no key, unreadable file). */
export async function masterKeyIsPassphrase(
  setting: MasterKeySetting,
  env: Env,
): Promise<boolean | undefined> {
  if (setting.source === 'PHLOW_MASTER_KEY') return !isRawMasterKey(env.PHLOW_MASTER_KEY ?? '');
  if (setting.file === undefined) return undefined;
  try {
    // Regular files only, opened without blocking: a FIFO planted at the path must not hang doctor.
    const file = await openRegularFile(setting.file);
    try {
      const head = await readOpenedHead(file, HEAD_BYTES);
      const text = Buffer.from(head.buffer, head.byteOffset, head.length).toString('utf8');
      head.fill(0);
      return !isRawMasterKey(text);
    } finally {
      await file.handle.close();
    }
  } catch {
    return undefined; // the store's own checks report an unreadable or special key file
  }
}
