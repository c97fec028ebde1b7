/**
 * doctor's write check, which must leave the store exactly as it found it.
 *
 * The file store remembers the last version of every deleted id in the key file (so a re-created id never
 * reuses a version), so a scratch key written and deleted there would stay behind as an entry, one per
 * doctor run. There the check is read-only instead: what a write needs (the key file, when it exists, and its
 * directory, where the atomic write and the lock create their files, writable by this user) is checked
 * without writing; the master key was already proven by the reads. A store that keeps deleted keys for a
 * waiting period (`capabilities.delayedDestroy`: AWS KMS schedules a deletion 7 days ahead at least) would
 * keep the scratch key that long, so there the write is not tried unless the user asks (`--write-check`).
 * Other stores get a scratch key (`phlow-doctor-<random>`) written, read back and destroyed, which on them
 * leaves nothing.
 */

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isKeyStoreError, type KeyManager, type KeyStore, KeyStoreError } from '@phlow/keys-core';
import type { Checks } from './checks.js';

/** `file`: the key file of a file store (absolute, or relative to the working directory). */
export async function writeChecks(
  checks: Checks,
  store: KeyStore,
  manager: KeyManager,
  options: {
    readonly fileStore: boolean;
    readonly keyFile?: string;
    readonly show: (path: string) => string;
    /** Write a scratch key even where a destroyed key lingers (`--write-check`). */
    readonly writeCheck: boolean;
  },
): Promise<void> {
  if (options.fileStore && options.keyFile !== undefined) {
    const file = options.keyFile;
    await checks.run('write', async () => {
      const exists = await access(file, constants.F_OK).then(
        () => true,
        () => false,
      );
      const writable = async (path: string) => {
        try {
          await access(path, constants.W_OK);
        } catch (cause) {
          throw new KeyStoreError(
            'ACCESS_DENIED',
            `${options.show(path)} is not writable by this user, so keys cannot be stored: give this user write access to it (chmod u+w, or run as its owner)`,
            { storeType: store.type, cause },
          );
        }
      };
      if (exists) await writable(file);
      // The directory: atomic writes and the lock create files beside the key file. A missing directory is
      // created by the first write, so its nearest existing parent is what must be writable.
      let dir = dirname(file);
      while (
        !(await access(dir, constants.F_OK).then(
          () => true,
          () => false,
        )) &&
        dirname(dir) !== dir
      ) {
        dir = dirname(dir);
      }
      await writable(dir);
      return {
        detail: `${options.show(exists ? file : dir)} writable (checked without writing: the key file is left as it is)`,
      };
    });
    return;
  }

  const lingers = store.capabilities.delayedDestroy === true;
  if (lingers && !options.writeCheck) {
    checks.skip(
      'write',
      `not tried: ${store.type} keeps a deleted key until its waiting period ends (scheduled for deletion), so a scratch key would stay behind; run \`phlow-keys doctor --write-check\` to write one anyway`,
    );
    return;
  }

  const scratch = `phlow-doctor-${randomBytes(6).toString('hex')}`;
  // `attempted` is set before the create: a create can fail after the backend made the key (its read-back
  // failed; a deadline passed after the backend finished; KMS aliases are eventually consistent), and that key
  // must not stay behind. A CONFLICT means the id was someone else's, which is left alone.
  let attempted = false;
  let conflict = false;
  let written = false;
  try {
    await checks.run('write', async () => {
      attempted = true;
      const generated = await manager.createKey(scratch).catch((error: unknown) => {
        conflict = isKeyStoreError(error, 'CONFLICT');
        throw error;
      });
      written = true;
      const back = await manager.getPublicKeyPair(scratch, { forceFetch: true });
      if (back.kid !== generated.kid) {
        throw new KeyStoreError(
          'INTEGRITY',
          `the scratch key ${scratch} read back differs from what was written`,
          {
            storeType: store.type,
          },
        );
      }
      return { detail: `wrote and read back ${scratch}` };
    });
  } finally {
    if (attempted && !conflict) {
      // Runs even after a failure, so the scratch key never stays behind.
      await checks.run(
        'delete',
        async () => {
          await manager.deleteKeyPair(scratch, { destroy: true });
          const left = await store.getPublicKey(scratch);
          if (left !== null) {
            return {
              detail: `${scratch} is still readable after delete: remove it by hand`,
              status: 'warn' as const,
            };
          }
          if (!written) {
            return {
              detail: `${scratch}, whose write failed, deleted in case the store kept it: it is not in the store now`,
            };
          }
          return lingers
            ? {
                detail: `deleted ${scratch}: ${store.type} keeps it, unusable, until its deletion date (asked for with --write-check)`,
                status: 'warn' as const,
              }
            : { detail: `deleted ${scratch}` };
        },
        { dependsOnStore: false },
      );
    }
  }
}
