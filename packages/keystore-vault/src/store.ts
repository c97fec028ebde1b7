/**
 * The Vault KV v2 key store: reads, lists, versions and deletes. Writes (compare-and-set, unknown outcomes)
 * are in write.ts, the start-up check in check.ts.
 *
 * Every method checks the key id before anything else and talks to Vault only through the session, so the
 * token handling and the error mapping are the same everywhere.
 */
import {
  assertValidKeyId,
  type DeleteKeyPairOptions,
  isValidKeyId,
  type KeyStore,
  KeyStoreError,
  storedKeyPair as redact,
  type StoredKeyPair,
  type StoredKeyVersion,
  type StoreKeyPairOptions,
} from '@phlow/keys-core';
import { BoundedMap, mapLimit } from '@phlow/keys-core/adapter';
import { checkConnection, type VaultConnectionInfo } from './check.js';
import { isNotFound, toKeyStoreError } from './errors.js';
import {
  cliPath,
  currentIsReadable,
  dataPath,
  deletePath,
  isReadable,
  type KvMetadata,
  type KvMiss,
  type KvSecret,
  type KvVersionInfo,
  listPath,
  metadataPath,
  parseList,
  parseMetadata,
  parseMiss,
  parseSecret,
} from './kv2.js';
import { resolveVaultConfig, type VaultConfig, type VaultKeyStoreOptions } from './options.js';
import { createRetentionCheck } from './retention-check.js';
import { createSession } from './session.js';
import { writeKeyPair } from './write.js';

/** What Vault says about a key id; `getKeyPair` returns null for every state but `present`. */
export interface VaultKeyState {
  readonly keyId: string;
  /** The path the CLI uses: `vault kv get phlow/keys/<id>`. */
  readonly path: string;
  /** `deleted`: soft-deleted, recoverable with `vault kv undelete`; `destroyed`: gone for good; `absent`: never written (or its metadata was deleted). */
  readonly state: 'present' | 'deleted' | 'destroyed' | 'absent';
  /** The current version, unless absent. */
  readonly version?: string;
  readonly createdAt?: Date;
  readonly deletedAt?: Date;
}

export interface VaultKeyStore extends KeyStore {
  readonly type: 'vault';
  getKeyPair(keyId: string): Promise<StoredKeyPair | null>;
  listKeyIds(): Promise<string[]>;
  getKeyVersions(keyId: string): Promise<StoredKeyVersion[]>;
  /** Tells a soft-deleted or destroyed key from one that never existed. */
  describeKey(keyId: string): Promise<VaultKeyState>;
  /** Checks the address, the token (lookup-self), the mount (KV v2) and its retention settings. */
  checkConnection(): Promise<VaultConnectionInfo>;
  /** Revokes a token the store obtained by AppRole login. Safe to call twice. */
  close(): Promise<void>;
}

/** Parallel metadata / version reads at most this many at once. */
const PARALLEL = 8;

/**
 * Version contents kept by getKeyVersions, at most this many. A KV v2 version never changes once written (it
 * can only be deleted or destroyed, which the metadata says), so a version read once need not be read again:
 * a JWK Set then costs one metadata read per id instead of one read per version.
 */
const VERSION_CACHE_LIMIT = 1024;

/** A soft delete reads the metadata and deletes the readable versions at most this many times. */
const DELETE_ROUNDS = 3;

/**
 * Builds a store without contacting Vault (it reads only the certificate and token files it is given); the first
 * call logs in (AppRole). Call `checkConnection()` for the start-up check the provider runs.
 */
export function createVaultKeyStore(options: VaultKeyStoreOptions = {}): VaultKeyStore {
  return storeFromConfig(resolveVaultConfig(options));
}

function storeFromConfig(config: VaultConfig): VaultKeyStore {
  const session = createSession(config);
  const layout = { mount: config.mount, prefix: config.prefix };
  const retention = createRetentionCheck(session, layout, config.onWarning);
  const valid = (keyId: string) => assertValidKeyId(keyId, 'vault');

  async function readVersion(keyId: string, version?: number): Promise<KvSecret | KvMiss> {
    const path = dataPath(layout, keyId) + (version === undefined ? '' : `?version=${version}`);
    const out = await session.call({ method: 'GET', path, idempotent: true });
    if (!out.ok) {
      if (isNotFound(out.failure))
        return parseMiss(out.failure.kind === 'http' ? out.failure.body : undefined);
      throw toKeyStoreError(out.failure, session.at('read', path, keyId));
    }
    const secret = parseSecret(out.body);
    if (typeof secret === 'string') {
      throw new KeyStoreError(
        'INVALID_KEY',
        `${cliPath(layout, keyId)} is not a Phlow key pair (${secret}): store it as the guide shows (vault kv put ${cliPath(layout, keyId)} private_key=@private_key.pem public_key=@public_key.pem)`,
        {
          storeType: 'vault',
          keyId,
        },
      );
    }
    return secret;
  }

  const isSecret = (r: KvSecret | KvMiss): r is KvSecret => 'createdAt' in r && !('state' in r);

  // Keyed by id, version and creation time: an id destroyed and written again starts over at version 1, with
  // another creation time. The least recently used entry is the first one dropped.
  const versionCache = new BoundedMap<string, KvSecret>(VERSION_CACHE_LIMIT);
  const cacheKey = (keyId: string, v: { version: number; createdAt: Date }) =>
    `${keyId}\n${v.version}\n${v.createdAt.getTime()}`;

  /** A readable version listed in the metadata: from the cache, or read and remembered. */
  async function readListedVersion(keyId: string, v: KvVersionInfo): Promise<KvSecret | KvMiss> {
    const key = cacheKey(keyId, v);
    const known = versionCache.get(key);
    if (known) return known;
    const r = await readVersion(keyId, v.version);
    if (isSecret(r) && r.createdAt.getTime() === v.createdAt.getTime()) {
      versionCache.set(key, r);
    }
    return r;
  }

  /** Both halves, or INVALID_KEY naming the missing one. */
  function pairOf(keyId: string, s: KvSecret): StoredKeyPair & { version: string; createdAt: Date } {
    if (s.privateKey === undefined || s.publicKey === undefined) {
      const missing = [
        s.privateKey === undefined && 'private_key',
        s.publicKey === undefined && 'public_key',
      ].filter(Boolean);
      throw new KeyStoreError(
        'INVALID_KEY',
        `${cliPath(layout, keyId)} version ${s.version} has no ${missing.join(' and ')} field: store both halves (vault kv put ${cliPath(layout, keyId)} private_key=@private_key.pem public_key=@public_key.pem)`,
        { storeType: 'vault', keyId },
      );
    }
    return {
      privateKey: s.privateKey,
      publicKey: s.publicKey,
      version: s.version,
      createdAt: s.createdAt,
      ...(s.activatesAt ? { activatesAt: s.activatesAt } : {}),
    };
  }

  async function readMetadata(keyId: string): Promise<KvMetadata | null> {
    const path = metadataPath(layout, keyId);
    const out = await session.call({ method: 'GET', path, idempotent: true });
    if (!out.ok) {
      if (isNotFound(out.failure)) return null;
      throw toKeyStoreError(out.failure, session.at('read', path, keyId));
    }
    const meta = parseMetadata(out.body);
    if (!meta)
      throw new KeyStoreError(
        'INTEGRITY',
        `Vault returned unreadable metadata for ${path}: is "${layout.mount}" a KV v2 mount?`,
        { storeType: 'vault', keyId },
      );
    return meta;
  }

  return {
    type: 'vault',
    capabilities: { write: true, readPair: true, list: true, versions: true, activation: true },

    async getPrivateKey(keyId) {
      const r = await readVersion(valid(keyId));
      return isSecret(r) ? (r.privateKey ?? null) : null;
    },

    async getPublicKey(keyId) {
      const r = await readVersion(valid(keyId));
      return isSecret(r) ? (r.publicKey ?? null) : null;
    },

    async getKeyPair(keyId) {
      const r = await readVersion(valid(keyId));
      if (!isSecret(r)) return null;
      if (r.privateKey === undefined && r.publicKey === undefined) return null;
      return redact(pairOf(keyId, r));
    },

    async describeKey(keyId) {
      const r = await readVersion(valid(keyId));
      const path = cliPath(layout, keyId);
      if (isSecret(r)) return { keyId, path, state: 'present', version: r.version, createdAt: r.createdAt };
      if (r.state === 'deleted')
        return { keyId, path, state: 'deleted', version: r.version, deletedAt: r.deletedAt };
      if (r.state === 'destroyed') return { keyId, path, state: 'destroyed', version: r.version };
      return { keyId, path, state: 'absent' };
    },

    async getKeyVersions(keyId) {
      const meta = await readMetadata(valid(keyId));
      if (!meta) return [];
      retention.checkKey(keyId, meta);
      // A soft-deleted (or destroyed) current version makes the id absent, as getKeyPair and listKeyIds see it:
      // `vault kv delete` deletes only the newest version, and the older ones must not stay verification keys.
      if (!currentIsReadable(meta)) return [];
      const readable = meta.versions.filter((v) => isReadable(v));
      const read = await mapLimit(readable, PARALLEL, (v) => readListedVersion(keyId, v));
      const versions: StoredKeyVersion[] = [];
      for (const r of read) {
        if (!isSecret(r)) continue; // deleted or destroyed since the metadata was read
        versions.push(redact({ ...pairOf(keyId, r), current: r.version === String(meta.currentVersion) }));
      }
      // The current version deleted since the metadata was read: the id is absent as well.
      if (!versions.some((v) => v.current)) return [];
      return versions;
    },

    async listKeyIds() {
      const path = `${listPath(layout)}?list=true`;
      const out = await session.call({ method: 'GET', path, idempotent: true });
      if (!out.ok) {
        if (isNotFound(out.failure)) return [];
        throw toKeyStoreError(out.failure, session.at('list', path));
      }
      const ids = parseList(out.body).filter((id) => isValidKeyId(id));
      // Vault keeps listing soft-deleted keys (their metadata remains): list only those whose current version reads.
      const live = await mapLimit(ids, PARALLEL, async (id) => {
        const meta = await readMetadata(id);
        return meta && currentIsReadable(meta) ? id : undefined;
      });
      return live.filter((id): id is string => id !== undefined).sort();
    },

    async storeKeyPair(keyId, privateKey, publicKey, options: StoreKeyPairOptions = {}) {
      valid(keyId);
      if (
        typeof privateKey !== 'string' ||
        typeof publicKey !== 'string' ||
        privateKey === '' ||
        publicKey === ''
      ) {
        throw new KeyStoreError(
          'INVALID_KEY',
          `key "${keyId}" needs a private and a public key, both non-empty PEM strings`,
          {
            storeType: 'vault',
            keyId,
          },
        );
      }
      await writeKeyPair(
        {
          session,
          layout,
          retention,
          readMetadata,
          readVersion,
          rotationGracePeriodMs: config.rotationGracePeriodMs,
        },
        keyId,
        { privateKey, publicKey },
        options,
      );
    },

    async deleteKeyPair(keyId, options: DeleteKeyPairOptions = {}) {
      valid(keyId);
      if (options.destroy) {
        const path = metadataPath(layout, keyId);
        const out = await session.call({ method: 'DELETE', path, idempotent: true });
        if (!out.ok && !isNotFound(out.failure))
          throw toKeyStoreError(out.failure, session.at('destroy', path, keyId));
        return;
      }
      // DELETE data/ would soft-delete only the newest version and leave older ones readable (and published as
      // verification keys), so every readable version is soft-deleted: all stay recoverable with
      // `vault kv undelete -versions=...`. A version written between reading the metadata and the delete is
      // not in the list, so the metadata is read again and the delete repeated, a bounded number of times.
      const path = deletePath(layout, keyId);
      for (let round = 0; round < DELETE_ROUNDS; round++) {
        const meta = await readMetadata(keyId);
        const versions = meta?.versions.filter((v) => isReadable(v)).map((v) => v.version) ?? [];
        if (versions.length === 0) return;
        const out = await session.call({ method: 'POST', path, body: { versions }, idempotent: true });
        if (!out.ok && !isNotFound(out.failure))
          throw toKeyStoreError(out.failure, session.at('delete', path, keyId));
      }
      const meta = await readMetadata(keyId);
      if (meta && currentIsReadable(meta)) {
        throw new KeyStoreError(
          'CONFLICT',
          `key "${keyId}" got new versions while it was being deleted (${DELETE_ROUNDS} rounds): another writer is still storing it at ${cliPath(layout, keyId)}; stop it and delete again`,
          { storeType: 'vault', keyId },
        );
      }
    },

    checkConnection() {
      return checkConnection(session, layout, retention, config.onWarning);
    },

    async close() {
      await session.close();
    },
  };
}
