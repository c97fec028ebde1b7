/**
 * An in-memory KeyStore with every capability: versions, compare-and-set, list, pair reads, activation times.
 *
 * For tests and for processes that only need keys while they run. Nothing survives a restart.
 */
import type {
  DeleteKeyPairOptions,
  KeyStore,
  StoredKeyPair,
  StoredKeyVersion,
  StoreKeyPairOptions,
} from './contract.js';
import { KeyStoreError } from './errors.js';
import { assertValidKeyId } from './key-id.js';
import { storedKeyPair } from './redact.js';

export interface MemoryKeyStoreOptions {
  /** How many versions of one id are kept, the current one included. Default: 10. */
  readonly maxVersions?: number;
}

interface Entry {
  nextVersion: number;
  versions: StoredKeyVersion[]; // newest first
}

export function createMemoryKeyStore(options: MemoryKeyStoreOptions = {}): KeyStore {
  const maxVersions = options.maxVersions ?? 10;
  if (!Number.isInteger(maxVersions) || maxVersions < 1) {
    throw new KeyStoreError('INVALID_CONFIG', 'maxVersions must be a whole number of at least 1', {
      storeType: 'memory',
    });
  }
  const entries = new Map<string, Entry>();

  const current = (keyId: string): StoredKeyVersion | undefined =>
    entries.get(assertValidKeyId(keyId, 'memory'))?.versions[0];

  return {
    type: 'memory',
    capabilities: { write: true, readPair: true, list: true, versions: true, activation: true },

    async getPrivateKey(keyId) {
      return current(keyId)?.privateKey ?? null;
    },
    async getPublicKey(keyId) {
      return current(keyId)?.publicKey ?? null;
    },
    async getKeyPair(keyId): Promise<StoredKeyPair | null> {
      const v = current(keyId);
      return v
        ? storedKeyPair({
            privateKey: v.privateKey,
            publicKey: v.publicKey,
            version: v.version,
            createdAt: v.createdAt,
            ...(v.activatesAt ? { activatesAt: new Date(v.activatesAt) } : {}),
          })
        : null;
    },
    async getKeyVersions(keyId) {
      const entry = entries.get(assertValidKeyId(keyId, 'memory'));
      return entry
        ? entry.versions.map((v, i) =>
            storedKeyPair({
              ...v,
              current: i === 0,
              ...(v.activatesAt ? { activatesAt: new Date(v.activatesAt) } : {}),
            }),
          )
        : [];
    },
    async listKeyIds() {
      return [...entries.keys()].sort();
    },
    async storeKeyPair(keyId, privateKey, publicKey, opts: StoreKeyPairOptions = {}) {
      assertValidKeyId(keyId, 'memory');
      const activatesAt = opts.activatesAt === undefined ? undefined : validActivation(opts.activatesAt);
      const entry = entries.get(keyId);
      const currentVersion = entry?.versions[0]?.version ?? null;
      if (opts.expectedVersion !== undefined && opts.expectedVersion !== currentVersion) {
        throw new KeyStoreError(
          'CONFLICT',
          `key "${keyId}" changed since it was read (expected version ${opts.expectedVersion ?? 'none'}, found ${currentVersion ?? 'none'}); read it again and retry`,
          { storeType: 'memory', keyId },
        );
      }
      const next = entry ?? { nextVersion: 1, versions: [] };
      const version: StoredKeyVersion = {
        privateKey,
        publicKey,
        version: String(next.nextVersion++),
        createdAt: new Date(),
        current: true,
        ...(activatesAt ? { activatesAt } : {}),
      };
      next.versions = [version, ...next.versions].slice(0, maxVersions);
      entries.set(keyId, next);
    },
    async deleteKeyPair(keyId, _opts?: DeleteKeyPairOptions) {
      entries.delete(assertValidKeyId(keyId, 'memory'));
    },
  };
}

/** A copy of `at`, refused (INVALID_CONFIG, nothing written) when it is not a valid Date. */
function validActivation(at: Date): Date {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new KeyStoreError('INVALID_CONFIG', 'activatesAt must be a valid Date', { storeType: 'memory' });
  }
  return new Date(at.getTime());
}
