/**
 * The AWS Secrets Manager KeyStore: reads, versions, listing, delete and restore. Writes are in write.ts.
 *
 * Every method checks the key id before anything is sent. Reads are never cached here (KeyManager caches);
 * each is one GetSecretValue of the version labelled AWSCURRENT. An id whose secret is scheduled for
 * deletion reads as absent, as the KeyStore contract wants for a deleted id; `restoreKeyPair` brings it back
 * within the recovery window.
 */
import {
  assertValidKeyId,
  isValidKeyId,
  type KeyStore,
  KeyStoreError,
  storedKeyPair as redact,
  type StoredKeyPair,
  type StoredKeyVersion,
} from '@phlow/keys-core';
import { createClient } from './client.js';
import { isNotFound, isScheduledForDeletion, STORE_TYPE, toKeyStoreError } from './errors.js';
import { isGraceLabel, rotationRank } from './grace.js';
import { assertPem, decodeKeyPair, encodeKeyPair } from './layout.js';
import { type AwsKeyStoreOptions, resolveAwsConfig } from './options.js';
import { CURRENT, PREVIOUS, secretsApi } from './secrets.js';
import { writeKeyPair } from './write.js';

/** The AWS key store: a KeyStore with every capability, plus `restoreKeyPair`. */
export interface AwsKeyStore extends KeyStore {
  getKeyPair(keyId: string): Promise<StoredKeyPair | null>;
  listKeyIds(): Promise<string[]>;
  getKeyVersions(keyId: string): Promise<StoredKeyVersion[]>;
  /**
   * Cancels the scheduled deletion of `keyId` (RestoreSecret): its key is current again, with its versions.
   * NOT_FOUND if there is no such secret (never created, or deleted beyond recovery). A no-op on a live key.
   */
  restoreKeyPair(keyId: string): Promise<void>;
  /**
   * Ids whose secret is scheduled for deletion (deleteKeyPair without destroy), sorted. They read as absent
   * here, but the Python Phlow's reads of them raise, and AWS refuses to create a secret of that name until
   * the recovery window ends: restore them (`restoreKeyPair`) or purge them (`deleteKeyPair(id, { destroy:
   * true })`). For `phlow-keys doctor`.
   */
  listRecoverableKeyIds(): Promise<string[]>;
  close(): Promise<void>;
}

/** Absent ids, and ids scheduled for deletion, read as null. */
const absent = (error: unknown) => isNotFound(error) || isScheduledForDeletion(error);

export function createAwsKeyStore(options: AwsKeyStoreOptions = {}): AwsKeyStore {
  const config = resolveAwsConfig(options);
  const { client, owned } = createClient(config);
  const secrets = secretsApi(client, config);
  let closed = false;

  const fail = (error: unknown, action: string, keyId?: string) =>
    toKeyStoreError(error, {
      action,
      keyId,
      secretName: keyId === undefined ? undefined : secrets.nameOf(keyId),
    });

  /** The key ids among secret names, sorted. */
  function idsOf(names: readonly string[]): string[] {
    const ids = new Set<string>();
    for (const name of names) {
      // The name filter is a case-sensitive prefix match on AWS; checked here too, so an emulator or a
      // future filter change cannot put a foreign secret in the list.
      if (!name.startsWith(config.prefix)) continue;
      const id = name.slice(config.prefix.length);
      if (isValidKeyId(id)) ids.add(id);
    }
    return [...ids].sort();
  }

  async function readCurrent(keyId: string): Promise<StoredKeyPair | null> {
    assertValidKeyId(keyId, STORE_TYPE);
    const name = secrets.nameOf(keyId);
    try {
      const out = await secrets.get(name, { stage: CURRENT });
      const pair = decodeKeyPair(out.SecretString, name, keyId);
      return redact({ ...pair, version: out.VersionId, createdAt: out.CreatedDate });
    } catch (error) {
      if (absent(error)) return null;
      throw fail(error, 'read', keyId);
    }
  }

  return {
    type: STORE_TYPE,
    capabilities: { write: true, readPair: true, list: true, versions: true, activation: true },

    getKeyPair: readCurrent,

    async getPrivateKey(keyId) {
      return (await readCurrent(keyId))?.privateKey ?? null;
    },

    async getPublicKey(keyId) {
      return (await readCurrent(keyId))?.publicKey ?? null;
    },

    async getKeyVersions(keyId) {
      assertValidKeyId(keyId, STORE_TYPE);
      const name = secrets.nameOf(keyId);
      try {
        const { deleted, stages } = await secrets.describe(name);
        if (deleted) return [];
        // The current key, the one it replaced and older ones kept by grace labels (grace.ts) carry labels the
        // store trusts; an unlabelled (deprecated) version may be a compare-and-set loser that was never current.
        const labelled = Object.entries(stages).filter(
          ([, labels]) => labels.includes(CURRENT) || labels.includes(PREVIOUS) || labels.some(isGraceLabel),
        );
        // Newest first: the order of the labels (grace.ts), not createdAt, which has second precision.
        labelled.sort(([, a], [, b]) => rotationRank(b) - rotationRank(a));
        const read = await Promise.all(
          labelled.map(async ([versionId, labels]): Promise<StoredKeyVersion | undefined> => {
            try {
              const out = await secrets.get(name, { versionId });
              const pair = decodeKeyPair(out.SecretString, name, keyId);
              return redact({
                ...pair,
                version: versionId,
                createdAt: out.CreatedDate ?? new Date(0),
                current: labels.includes(CURRENT),
              });
            } catch (error) {
              if (isNotFound(error)) return undefined; // removed since it was described
              throw error;
            }
          }),
        );
        return read.filter((v): v is StoredKeyVersion => v !== undefined);
      } catch (error) {
        if (absent(error)) return [];
        throw fail(error, 'list the versions of', keyId);
      }
    },

    async listKeyIds() {
      try {
        return idsOf(await secrets.names());
      } catch (error) {
        throw toKeyStoreError(error, { action: 'list the secrets of' });
      }
    },

    async listRecoverableKeyIds() {
      try {
        return idsOf(await secrets.names('scheduledForDeletion'));
      } catch (error) {
        throw toKeyStoreError(error, { action: 'list the deleted secrets of' });
      }
    },

    async storeKeyPair(keyId, privateKey, publicKey, opts = {}) {
      assertValidKeyId(keyId, STORE_TYPE);
      assertPem(privateKey, 'private', keyId);
      assertPem(publicKey, 'public', keyId);
      const secretString = encodeKeyPair(privateKey, publicKey, opts.activatesAt);
      try {
        await writeKeyPair(secrets, keyId, secretString, opts.expectedVersion);
      } catch (error) {
        throw fail(error, 'store', keyId);
      }
    },

    async deleteKeyPair(keyId, opts = {}) {
      assertValidKeyId(keyId, STORE_TYPE);
      const name = secrets.nameOf(keyId);
      try {
        if (opts.destroy) {
          await secrets.forceDelete(name).catch(async (error: unknown) => {
            if (!isScheduledForDeletion(error)) throw error;
            // AWS force-deletes a scheduled secret directly; should a backend refuse, restore it first.
            await secrets.restore(name);
            await secrets.forceDelete(name);
          });
        } else {
          await secrets.scheduleDeletion(name);
        }
      } catch (error) {
        // Missing: nothing to do. Already scheduled: it is deleted, and keeps its first deletion date.
        if (absent(error)) return;
        throw fail(error, 'delete', keyId);
      }
    },

    async restoreKeyPair(keyId) {
      assertValidKeyId(keyId, STORE_TYPE);
      try {
        await secrets.restore(secrets.nameOf(keyId));
      } catch (error) {
        if (isNotFound(error)) {
          throw new KeyStoreError(
            'NOT_FOUND',
            `cannot restore "${keyId}": there is no secret "${secrets.nameOf(keyId)}" (never created, or deleted beyond recovery: past its recovery window or deleted with destroy)`,
            { storeType: STORE_TYPE, keyId },
          );
        }
        throw fail(error, 'restore', keyId);
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      if (owned) client.destroy();
    },
  };
}
