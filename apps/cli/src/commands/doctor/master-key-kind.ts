/**
 * Whether the file store's master key is a passphrase (stretched with scrypt by every process that opens the
 * store) or a raw key, for `doctor`'s note on start-up cost. The rule is the file store's: a value starting
 * with `base64:` or `hex:` is a raw key, anything else a passphrase. Only that prefix is looked at, and
 * nothing of the value is ever returned or printed.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Env } from '@phlow/keys-core';
import type { MasterKeySetting } from '../../store.js';

/** Enough for the prefix after any leading whitespace a file may hold. */
const HEAD_BYTES = 256;

function isRaw(text: string): boolean {
  const trimmed = text.trimStart();
  return trimmed.startsWith('base64:') || trimmed.startsWith('hex:');
}

/** True for a passphrase, false for a raw key, undefined when it cannot be told (no key, unreadable file). */
export async function masterKeyIsPassphrase(
  setting: MasterKeySetting,
  env: Env,
): Promise<boolean | undefined> {
  if (setting.source === 'PHLOW_MASTER_KEY') return !isRaw(env.PHLOW_MASTER_KEY ?? '');
  if (setting.file === undefined) return undefined;
  try {
    // Non-blocking and regular files only: a FIFO planted at the path must not hang doctor.
    const handle = await open(setting.file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      if (!(await handle.stat()).isFile()) return undefined;
      const head = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
      const text = head.subarray(0, bytesRead).toString('utf8');
      head.fill(0);
      return !isRaw(text);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined; // the store's own checks report an unreadable key file
  }
}
