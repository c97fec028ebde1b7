/**
 * An in-memory store with the `signer` capability (contract 1.1): keys are made here and sign here, and no
 * method returns a private key. For unit tests of code on top of such stores (KeyManager's staged rotation,
 * the CLI) without a Vault or an HSM; the real adapters (Vault Transit, PKCS#11) are proven on their servers.
 *
 * Private keys are KeyObjects held in a closure: nothing reachable from the store object (JSON, inspect,
 * property walks) leads to them.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  assertValidKeyId,
  KeyStoreError,
  type PublicKeyVersion,
  type SignerKeyStore,
  signerRefusals,
} from '@phlow/keys-core';

export interface MemorySignerStoreOptions {
  /** The type the store reports in messages. Default: `memory_signer`. */
  readonly type?: string;
  /** Clock for `createdAt`, for tests. Default: `Date.now`. */
  readonly now?: () => number;
}

interface Version {
  readonly version: string;
  readonly createdAt: Date;
  readonly publicKey: string;
  readonly privateKey: KeyObject;
}

export function createMemorySignerStore(options: MemorySignerStoreOptions = {}): SignerKeyStore {
  const type = options.type ?? 'memory_signer';
  const now = options.now ?? Date.now;
  /** Per id: its versions, oldest first, and the next version number (never reused after a retirement). */
  const keys = new Map<string, { versions: Version[]; next: number }>();

  const fail = (code: 'NOT_FOUND' | 'CONFLICT' | 'UNSUPPORTED', keyId: string, message: string) =>
    new KeyStoreError(code, message, { storeType: type, keyId });
  const newVersion = (n: number): Version => {
    const pair = generateKeyPairSync('ed25519');
    return {
      version: String(n),
      createdAt: new Date(now()),
      publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKey: pair.privateKey,
    };
  };

  return {
    type,
    capabilities: { write: false, readPair: false, list: true, versions: false, signer: true },
    ...signerRefusals(type, {
      keptIn: type,
      because: 'it is held inside this in-memory store and signs there',
      noKeyMaterial: `${type} makes its keys itself and accepts no key material`,
    }),
    async getPublicKey(keyId) {
      assertValidKeyId(keyId, type);
      return keys.get(keyId)?.versions.at(-1)?.publicKey ?? null;
    },
    async deleteKeyPair(keyId) {
      assertValidKeyId(keyId, type);
      keys.delete(keyId);
    },
    async listKeyIds() {
      return [...keys.keys()].sort();
    },
    async createKey(keyId, options) {
      assertValidKeyId(keyId, type);
      if (options?.algorithm !== undefined && options.algorithm !== 'EdDSA') {
        throw fail(
          'UNSUPPORTED',
          keyId,
          'this store makes Ed25519 keys only: create the key without an algorithm',
        );
      }
      if (keys.has(keyId)) throw fail('CONFLICT', keyId, `key "${keyId}" already exists: rotate it`);
      keys.set(keyId, { versions: [newVersion(1)], next: 2 });
    },
    async rotateKey(keyId, { expectedVersion }) {
      assertValidKeyId(keyId, type);
      const entry = keys.get(keyId);
      if (!entry) throw fail('NOT_FOUND', keyId, `no key "${keyId}" to rotate`);
      if (entry.versions.at(-1)?.version !== expectedVersion) {
        throw fail('CONFLICT', keyId, `key "${keyId}" changed since it was read (another rotation?)`);
      }
      entry.versions.push(newVersion(entry.next++));
    },
    async retireVersions(keyId, { keepFrom }) {
      assertValidKeyId(keyId, type);
      const entry = keys.get(keyId);
      if (!entry) return;
      const from = entry.versions.findIndex((v) => v.version === keepFrom);
      if (from < 0) throw fail('NOT_FOUND', keyId, `key "${keyId}" has no version ${keepFrom}`);
      entry.versions = entry.versions.slice(from);
    },
    async getPublicKeyVersions(keyId): Promise<PublicKeyVersion[]> {
      assertValidKeyId(keyId, type);
      const versions = keys.get(keyId)?.versions ?? [];
      return versions
        .map((v, i) => ({
          publicKey: v.publicKey,
          version: v.version,
          createdAt: v.createdAt,
          current: i === versions.length - 1,
        }))
        .reverse();
    },
    async sign(keyId, data, signOptions = {}) {
      assertValidKeyId(keyId, type);
      const versions = keys.get(keyId)?.versions ?? [];
      const v =
        signOptions.version === undefined
          ? versions.at(-1)
          : versions.find((x) => x.version === signOptions.version);
      if (!v)
        throw fail(
          'NOT_FOUND',
          keyId,
          `no key "${keyId}" (version ${signOptions.version ?? 'current'}) to sign with`,
        );
      return new Uint8Array(sign(null, data, v.privateKey));
    },
  };
}
