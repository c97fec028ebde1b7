/**
 * Vault Transit as a signer store (`PHLOW_KEY_STORE_TYPE=vault_transit`): Ed25519 keys are created inside
 * Transit, non-exportable, and sign there (`<mount>/sign/<id>`, with `key_version` when KeyManager pins the
 * previous version during a rotation delay). Nothing here can read a private key: Transit never sends one
 * for a non-exportable key, and this store asks for none.
 *
 * Connection, token handling, TLS, namespace, retries and the mapping of Vault's failures are the KV store's
 * own (session.ts, transport.ts, errors.ts); only what is Transit's is here.
 */
import {
  assertValidKeyId,
  isValidKeyId,
  KeyStoreError,
  type KeyStoreErrorCode,
  type SignerKeyStore,
  signerRefusals,
} from '@phlow/keys-core';
import { toKeyStoreError, type VaultFailure } from './errors.js';
import { createSession } from './session.js';
import { readTransitKey, signatureBytes, type TransitKey } from './transit-keys.js';
import { resolveTransitConfig, type TransitKeyStoreOptions } from './transit-options.js';
import type { VaultCall } from './transport.js';

const TYPE = 'vault_transit';

export interface VaultTransitConnectionInfo {
  readonly address: string;
  readonly mount: string;
}

export interface VaultTransitKeyStore extends SignerKeyStore {
  readonly type: 'vault_transit';
  listKeyIds(): Promise<string[]>;
  /** Reaches Vault with the token and lists the mount's keys: fails with a clear error if either is wrong. */
  checkConnection(): Promise<VaultTransitConnectionInfo>;
  close(): Promise<void>;
}

const failureText = (f: VaultFailure) => (f.kind === 'http' ? f.errors.join('; ').toLowerCase() : '');

export function createVaultTransitKeyStore(options: TransitKeyStoreOptions = {}): VaultTransitKeyStore {
  const config = resolveTransitConfig(options);
  const session = createSession(config.vault);
  const { mount } = config;
  const warned = new Set<string>();
  const fail = (code: KeyStoreErrorCode, keyId: string | undefined, message: string, cause?: unknown) =>
    new KeyStoreError(code, message, { storeType: TYPE, keyId, cause });

  /** The KV store's mapping, told that this is Transit: its own mount hint and store type. */
  function toError(f: VaultFailure, action: string, path: string, keyId?: string): KeyStoreError {
    if (f.kind === 'http' && f.status === 404 && failureText(f).includes('no handler for route')) {
      return fail(
        'INVALID_CONFIG',
        keyId,
        `no Transit engine is mounted at "${mount}/" in Vault at ${session.address}: enable it (vault secrets enable -path=${mount} transit) or set PHLOW_VAULT_TRANSIT_MOUNT`,
      );
    }
    const e = toKeyStoreError(f, session.at(action, path, keyId));
    return fail(e.code, keyId, e.message.replace(/^\[phlow\] \[vault\] /, ''), e.cause);
  }

  async function send(c: VaultCall, action: string, keyId?: string): Promise<unknown> {
    const out = await session.call(c);
    if (!out.ok) throw toError(out.failure, action, c.path, keyId);
    return out.body;
  }

  async function readKey(keyId: string): Promise<TransitKey | undefined> {
    assertValidKeyId(keyId, TYPE);
    const path = `${mount}/keys/${keyId}`;
    const out = await session.call({ method: 'GET', path, idempotent: true });
    if (!out.ok) {
      const f = out.failure;
      if (f.kind === 'http' && f.status === 404 && !failureText(f).includes('no handler')) return undefined;
      throw toError(f, 'read', path, keyId);
    }
    const key = readTransitKey(keyId, out.body);
    if (key.type !== 'ed25519') {
      throw fail(
        'UNSUPPORTED',
        keyId,
        `Transit key "${keyId}" at ${mount}/ is of type ${key.type.slice(0, 40)}, not ed25519: Phlow agents sign with Ed25519; use another key id (or another mount) for it`,
      );
    }
    if (key.exportable && !warned.has(keyId)) {
      warned.add(keyId);
      config.vault.onWarning(
        `[phlow] [${TYPE}] Transit key "${keyId}" is exportable (or allows plaintext backup), so its private key can be read out of Vault; keys this store creates are not. Replace it with a new key for the guarantees of this store.`,
      );
    }
    return key;
  }

  const existing = async (keyId: string): Promise<TransitKey> => {
    const key = await readKey(keyId);
    if (!key)
      throw fail('NOT_FOUND', keyId, `no Transit key "${keyId}" at ${mount}/ in Vault at ${session.address}`);
    return key;
  };

  const store: VaultTransitKeyStore = {
    type: TYPE,
    capabilities: { write: false, readPair: false, list: true, versions: false, signer: true },

    ...signerRefusals(TYPE, {
      keptIn: 'Vault Transit',
      because: 'it is created non-exportable and signs inside Vault',
      noKeyMaterial: 'Vault Transit creates its keys itself and this store sends it no key material',
    }),
    async getPublicKey(keyId) {
      return (await readKey(keyId))?.versions[0]?.publicKey ?? null;
    },
    async deleteKeyPair(keyId) {
      if (!(await readKey(keyId))) return;
      const path = `${mount}/keys/${keyId}`;
      // Transit refuses to delete a key until its config allows it: a deliberate second step.
      await send(
        { method: 'POST', path: `${path}/config`, body: { deletion_allowed: true }, idempotent: true },
        'allow deletion of',
        keyId,
      );
      await send({ method: 'DELETE', path, idempotent: true }, 'delete', keyId);
    },
    async listKeyIds() {
      const path = `${mount}/keys?list=true`;
      const out = await session.call({ method: 'GET', path, idempotent: true });
      if (!out.ok) {
        const f = out.failure;
        if (f.kind === 'http' && f.status === 404 && !failureText(f).includes('no handler')) return [];
        throw toError(f, 'list', path);
      }
      const keys = (out.body as { data?: { keys?: unknown } } | null)?.data?.keys;
      return (Array.isArray(keys) ? keys.map(String).filter(isValidKeyId) : []).sort();
    },
    async getPublicKeyVersions(keyId) {
      return (await readKey(keyId))?.versions ?? [];
    },
    async createKey(keyId, createOptions) {
      if (createOptions?.algorithm !== undefined && createOptions.algorithm !== 'EdDSA') {
        throw fail(
          'UNSUPPORTED',
          keyId,
          `this Transit store makes Ed25519 (EdDSA) keys only: create "${keyId}" without an algorithm, or use the pkcs11 or aws_kms store for ES256`,
        );
      }
      if (await readKey(keyId))
        throw fail('CONFLICT', keyId, `Transit key "${keyId}" already exists: rotate it`);
      // Creating an existing key is a no-op in Transit, so a retried create cannot make a second key.
      await send(
        {
          method: 'POST',
          path: `${mount}/keys/${keyId}`,
          body: { type: 'ed25519', exportable: false, allow_plaintext_backup: false },
          idempotent: true,
        },
        'create',
        keyId,
      );
    },
    async rotateKey(keyId, { expectedVersion }) {
      const key = await existing(keyId);
      if (String(key.latestVersion) !== expectedVersion) {
        throw fail(
          'CONFLICT',
          keyId,
          `Transit key "${keyId}" changed since it was read (another rotation?): read it again and retry`,
        );
      }
      // Not idempotent: a retried rotate could add a second version.
      await send(
        { method: 'POST', path: `${mount}/keys/${keyId}/rotate`, idempotent: false },
        'rotate',
        keyId,
      );
    },
    async retireVersions(keyId, { keepFrom }) {
      const key = await readKey(keyId);
      if (!key) return;
      const n = Number(keepFrom);
      if (!Number.isInteger(n) || n < 1 || n > key.latestVersion) {
        throw fail(
          'NOT_FOUND',
          keyId,
          `Transit key "${keyId}" has no version ${String(keepFrom).slice(0, 20)}`,
        );
      }
      const path = `${mount}/keys/${keyId}`;
      // Older versions stop signing and verifying first, then are trimmed: removed from Vault for good.
      await send(
        {
          method: 'POST',
          path: `${path}/config`,
          body: { min_decryption_version: n, min_encryption_version: n },
          idempotent: true,
        },
        'retire old versions of',
        keyId,
      );
      await send(
        { method: 'POST', path: `${path}/trim`, body: { min_available_version: n }, idempotent: true },
        'trim',
        keyId,
      );
    },
    async sign(keyId, data, signOptions = {}) {
      assertValidKeyId(keyId, TYPE);
      if (!(data instanceof Uint8Array))
        throw fail('INVALID_CONFIG', keyId, 'sign needs the data as a Uint8Array');
      const version = signOptions.version === undefined ? undefined : Number(signOptions.version);
      if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
        throw fail(
          'NOT_FOUND',
          keyId,
          `Transit key "${keyId}" has no version ${String(signOptions.version).slice(0, 20)}`,
        );
      }
      const path = `${mount}/sign/${keyId}`;
      const out = await session.call({
        method: 'POST',
        path,
        body: { input: Buffer.from(data).toString('base64'), ...(version ? { key_version: version } : {}) },
        idempotent: true,
      });
      if (!out.ok) {
        const f = out.failure;
        // Transit answers a missing key or a version below min_encryption_version with 400, and a trimmed
        // version with 500: the key document tells which, so a retired version is NOT_FOUND, not an outage.
        const gone =
          (f.kind === 'http' && f.status === 400 && /not found/.test(failureText(f))) ||
          (f.kind === 'http' &&
            (f.status === 400 || f.status === 500) &&
            (await readKey(keyId).then(
              (key) =>
                !key || (version !== undefined && !key.versions.some((v) => v.version === String(version))),
              () => false,
            )));
        if (gone) {
          throw fail(
            'NOT_FOUND',
            keyId,
            `Transit key "${keyId}" (version ${version ?? 'current'}) cannot sign: it does not exist or that version was retired`,
          );
        }
        throw toError(f, 'sign with', path, keyId);
      }
      return signatureBytes(keyId, out.body);
    },
    async checkConnection() {
      await store.listKeyIds();
      return { address: session.address, mount };
    },
    async close() {
      await session.close();
    },
  };
  return store;
}
