/**
 * AWS KMS as a signer store (`PHLOW_KEY_STORE_TYPE=aws_kms`): each version of a key id is its own KMS key
 * (key spec ECC_NIST_EDWARDS25519, usage SIGN_VERIFY), named by aliases (see aliases.ts); signing is KMS's
 * `Sign` with ED25519_SHA_512 and MessageType RAW, public keys come from `GetPublicKey` (immutable per KMS
 * key, so kept in memory). KMS never exports these private keys, and this store asks for none.
 *
 * Retirement deletes a version's alias and schedules its KMS key for deletion (KMS's minimum 7 days).
 */
import { createPublicKey } from 'node:crypto';
import {
  type AliasListEntry,
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  GetPublicKeyCommand,
  ListAliasesCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import {
  assertValidKeyId,
  isKeyStoreError,
  isValidKeyId,
  KeyStoreError,
  type PublicKeyVersion,
  type SignerKeyStore,
  signerRefusals,
} from '@phlow/keys-core';
import { BoundedMap } from '@phlow/keys-core/adapter';
import { currentAlias, PREFIX, parseAlias, TYPE, versionAlias } from './aliases.js';
import { createKmsTransport } from './client.js';
import { type KmsAlgorithm, type KmsKeySpec, specOfAlgorithm, specOfKeySpec } from './key-specs.js';
import { type AwsKmsKeyStoreOptions, resolveKmsConfig } from './options.js';

export type { AwsKmsKeyStoreOptions } from './options.js';

/** Options of `createKey` beyond the contract's. */
export interface CreateKmsKeyOptions {
  /** The new key's algorithm: `EdDSA` (Ed25519) or `ES256` (P-256). Default: the store's `algorithm`. */
  readonly algorithm?: KmsAlgorithm;
}

export interface AwsKmsKeyStore extends SignerKeyStore {
  readonly type: 'aws_kms';
  /** A new key inside KMS; `options.algorithm` picks its key spec (rotations keep it). */
  createKey(keyId: string, options?: CreateKmsKeyOptions): Promise<void>;
  listKeyIds(): Promise<string[]>;
  close(): Promise<void>;
}

/** KMS signs RAW messages of at most 4096 bytes. */
const MAX_MESSAGE = 4096;

interface PublicKeyInfo {
  readonly pem: string;
  readonly spec: KmsKeySpec;
}

interface Version {
  readonly version: number;
  readonly kmsKeyId: string;
  readonly createdAt: Date;
}

export function createAwsKmsKeyStore(options: AwsKmsKeyStoreOptions = {}): AwsKmsKeyStore {
  const config = resolveKmsConfig(options);
  const transport = createKmsTransport(config);
  const publicKeys = new BoundedMap<string, PublicKeyInfo>(1000);
  // Rotation keeps a key's spec, so an alias keeps its spec until the id is deleted and created anew with
  // another algorithm: a signature refused with a remembered spec forgets it and asks again, once.
  const aliasSpecs = new BoundedMap<string, KmsKeySpec>(1000);
  const fail = (code: 'NOT_FOUND' | 'CONFLICT' | 'UNSUPPORTED', keyId: string, message: string) =>
    new KeyStoreError(code, message, { storeType: TYPE, keyId });
  const send = transport.send;
  const checkedAlgorithm = (alg: unknown): KmsAlgorithm => {
    if (alg === 'EdDSA' || alg === 'ES256') return alg;
    throw new KeyStoreError(
      'UNSUPPORTED',
      `AWS KMS keys of this store sign with EdDSA (Ed25519, the default) or ES256 (P-256), not ${String(alg).slice(0, 20)}`,
      { storeType: TYPE },
    );
  };

  async function aliases(): Promise<AliasListEntry[]> {
    const all: AliasListEntry[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const out = await send('listing aliases', undefined, (c, o) =>
        c.send(new ListAliasesCommand({ Limit: 100, ...(marker ? { Marker: marker } : {}) }), o),
      );
      all.push(...(out.Aliases ?? []).filter((a) => a.AliasName?.startsWith(PREFIX)));
      if (!out.Truncated || !out.NextMarker) return all;
      marker = out.NextMarker;
    }
    return all;
  }

  async function versionsOf(keyId: string): Promise<Version[]> {
    assertValidKeyId(keyId, TYPE);
    currentAlias(keyId); // length check
    const found: Version[] = [];
    for (const a of await aliases()) {
      const parsed = parseAlias(a.AliasName ?? '');
      if (parsed?.keyId !== keyId || parsed.version === undefined || !a.TargetKeyId) continue;
      const created =
        a.CreationDate instanceof Date ? a.CreationDate : new Date(Number(a.CreationDate ?? 0) * 1000);
      found.push({ version: parsed.version, kmsKeyId: a.TargetKeyId, createdAt: created });
    }
    return found.sort((x, y) => y.version - x.version);
  }

  /** A KMS key's public half as PEM, and its row in key-specs.ts. Immutable per KMS key, so remembered. */
  async function publicKeyOf(keyId: string, kmsKeyId: string): Promise<PublicKeyInfo> {
    let known = publicKeys.get(kmsKeyId);
    if (known === undefined) {
      const out = await send('reading a public key', keyId, (c, o) =>
        c.send(new GetPublicKeyCommand({ KeyId: kmsKeyId }), o),
      );
      const spec = specOfKeySpec(out.KeySpec);
      if (!spec || !out.PublicKey) {
        throw fail(
          'UNSUPPORTED',
          keyId,
          `the KMS key behind "${keyId}" is ${out.KeySpec ?? 'unknown'}, not ECC_NIST_EDWARDS25519 (EdDSA) or ECC_NIST_P256 (ES256)`,
        );
      }
      let pem: string;
      try {
        pem = createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' })
          .export({ type: 'spki', format: 'pem' })
          .toString();
      } catch (cause) {
        throw new KeyStoreError(
          'INTEGRITY',
          `KMS returned a public key for "${keyId}" that is not a valid SPKI key`,
          {
            storeType: TYPE,
            keyId,
            cause,
          },
        );
      }
      known = { pem, spec };
      publicKeys.set(kmsKeyId, known);
    }
    return known;
  }

  const publicPem = async (keyId: string, kmsKeyId: string) => (await publicKeyOf(keyId, kmsKeyId)).pem;

  /** The key spec behind an alias (the current one, or a version's): asked once, then remembered. */
  async function specOfAlias(keyId: string, alias: string): Promise<KmsKeySpec> {
    const known = aliasSpecs.get(alias);
    if (known) return known;
    const { spec } = await publicKeyOf(keyId, alias);
    publicKeys.delete(alias); // kept by KMS key id only: an alias can move
    aliasSpecs.set(alias, spec);
    return spec;
  }

  /** A new KMS key as version `version`; CONFLICT (and the new key scheduled for deletion) if it exists. */
  async function addVersion(keyId: string, version: number, spec: KmsKeySpec): Promise<void> {
    const created = await send('creating a KMS key', keyId, (c, o) =>
      c.send(
        new CreateKeyCommand({
          KeySpec: spec.keySpec,
          KeyUsage: 'SIGN_VERIFY',
          Description: `phlow key ${keyId} version ${version}`,
          Tags: [{ TagKey: 'phlow:key-id', TagValue: keyId }],
        }),
        o,
      ),
    );
    const kmsKeyId = created.KeyMetadata?.KeyId;
    if (!kmsKeyId) throw fail('NOT_FOUND', keyId, 'KMS created a key but returned no id');
    try {
      await send('naming the new version', keyId, (c, o) =>
        c.send(new CreateAliasCommand({ AliasName: versionAlias(keyId, version), TargetKeyId: kmsKeyId }), o),
      );
    } catch (error) {
      await send('scheduling an unused key for deletion', keyId, (c, o) =>
        c.send(new ScheduleKeyDeletionCommand({ KeyId: kmsKeyId, PendingWindowInDays: 7 }), o),
      ).catch(() => {});
      throw (error as KeyStoreError).code === 'CONFLICT'
        ? fail(
            'CONFLICT',
            keyId,
            `"${keyId}" was created or rotated by another process at the same moment: read it again`,
          )
        : error;
    }
    const current = currentAlias(keyId);
    await send('pointing the current alias at the new version', keyId, (c, o) =>
      version === 1
        ? c.send(new CreateAliasCommand({ AliasName: current, TargetKeyId: kmsKeyId }), o)
        : c.send(new UpdateAliasCommand({ AliasName: current, TargetKeyId: kmsKeyId }), o),
    );
  }

  async function retire(keyId: string, versions: readonly Version[]): Promise<void> {
    for (const v of versions) {
      await send('retiring a version', keyId, (c, o) =>
        c.send(new DeleteAliasCommand({ AliasName: versionAlias(keyId, v.version) }), o),
      );
      await send('scheduling a retired key for deletion', keyId, (c, o) =>
        c.send(
          new ScheduleKeyDeletionCommand({ KeyId: v.kmsKeyId, PendingWindowInDays: config.deletionDays }),
          o,
        ),
      ).catch((error: KeyStoreError) => {
        if (error.code !== 'NOT_FOUND') throw error; // already pending deletion
      });
    }
  }

  const store: AwsKmsKeyStore = {
    type: TYPE,
    capabilities: {
      write: false,
      readPair: false,
      list: true,
      versions: false,
      signer: true,
      delayedDestroy: true,
    },
    ...signerRefusals(TYPE, {
      keptIn: 'AWS KMS',
      because: 'KMS keys cannot be exported; it signs inside KMS',
      noKeyMaterial: 'AWS KMS makes its keys itself and this store sends it no key material',
    }),
    async getPublicKey(keyId) {
      const [current] = await versionsOf(keyId);
      return current ? publicPem(keyId, current.kmsKeyId) : null;
    },
    async deleteKeyPair(keyId) {
      const versions = await versionsOf(keyId);
      if (versions.length === 0) return;
      await retire(keyId, versions);
      await send('deleting the current alias', keyId, (c, o) =>
        c.send(new DeleteAliasCommand({ AliasName: currentAlias(keyId) }), o),
      ).catch((error: KeyStoreError) => {
        if (error.code !== 'NOT_FOUND') throw error;
      });
    },
    async listKeyIds() {
      const ids = new Set<string>();
      for (const a of await aliases()) {
        const parsed = parseAlias(a.AliasName ?? '');
        if (parsed && parsed.version === undefined && isValidKeyId(parsed.keyId)) ids.add(parsed.keyId);
      }
      return [...ids].sort();
    },
    async getPublicKeyVersions(keyId): Promise<PublicKeyVersion[]> {
      const versions = await versionsOf(keyId);
      const read = await Promise.all(
        versions.map(async (v, i): Promise<PublicKeyVersion | undefined> => {
          try {
            const publicKey = await publicPem(keyId, v.kmsKeyId);
            return { publicKey, version: String(v.version), createdAt: v.createdAt, current: i === 0 };
          } catch (error) {
            // The current version is the id: its failure is the id's. An older version KMS cannot give a public
            // key for (disabled, pending deletion, an alias moved to another key) only stops verifying.
            if (i === 0 || !isKeyStoreError(error) || error.code === 'UNAVAILABLE') throw error;
            config.onWarning(
              `[phlow] [${TYPE}] version ${v.version} of key "${keyId}" is left out of its verification keys: KMS cannot give its public key (${error.code})`,
            );
            return undefined;
          }
        }),
      );
      return read.filter((v): v is PublicKeyVersion => v !== undefined);
    },
    async createKey(keyId, createOptions: CreateKmsKeyOptions = {}) {
      const spec = specOfAlgorithm(
        createOptions.algorithm === undefined ? config.algorithm : checkedAlgorithm(createOptions.algorithm),
      );
      if ((await versionsOf(keyId)).length > 0)
        throw fail('CONFLICT', keyId, `"${keyId}" already exists in KMS: rotate it`);
      await addVersion(keyId, 1, spec);
    },
    async rotateKey(keyId, { expectedVersion }) {
      const [current] = await versionsOf(keyId);
      if (!current) throw fail('NOT_FOUND', keyId, `no key "${keyId}" in KMS to rotate`);
      if (String(current.version) !== expectedVersion) {
        throw fail(
          'CONFLICT',
          keyId,
          `"${keyId}" changed since it was read (another rotation?): read it again and retry`,
        );
      }
      // A rotation keeps the key's algorithm: verifiers of an ES256 key keep accepting its next version.
      const { spec } = await publicKeyOf(keyId, current.kmsKeyId);
      // Creating the alias of the next version is the compare-and-set: KMS lets only one process create it.
      await addVersion(keyId, current.version + 1, spec);
    },
    async retireVersions(keyId, { keepFrom }) {
      const versions = await versionsOf(keyId);
      if (versions.length === 0) return;
      const n = Number(keepFrom);
      if (!versions.some((v) => v.version === n))
        throw fail('NOT_FOUND', keyId, `"${keyId}" has no version ${String(keepFrom).slice(0, 20)}`);
      await retire(
        keyId,
        versions.filter((v) => v.version < n),
      );
    },
    async sign(keyId, data, signOptions = {}) {
      assertValidKeyId(keyId, TYPE);
      if (!(data instanceof Uint8Array))
        throw new KeyStoreError('INVALID_CONFIG', 'sign needs the data as a Uint8Array', {
          storeType: TYPE,
          keyId,
        });
      if (data.length > MAX_MESSAGE) {
        throw fail(
          'UNSUPPORTED',
          keyId,
          `AWS KMS signs messages of at most ${MAX_MESSAGE} bytes (MessageType RAW); this one has ${data.length}`,
        );
      }
      const version = signOptions.version === undefined ? undefined : Number(signOptions.version);
      if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
        throw fail(
          'NOT_FOUND',
          keyId,
          `"${keyId}" has no version ${String(signOptions.version).slice(0, 20)}`,
        );
      }
      const alias = version === undefined ? currentAlias(keyId) : versionAlias(keyId, version);
      const signWith = (spec: KmsKeySpec) =>
        send('signing', keyId, (c, o) =>
          c.send(
            new SignCommand({
              KeyId: alias,
              Message: data,
              MessageType: 'RAW',
              SigningAlgorithm: spec.signingAlgorithm,
            }),
            o,
          ),
        );
      const remembered = aliasSpecs.has(alias);
      let spec = await specOfAlias(keyId, alias);
      const out = await signWith(spec).catch(async (error: KeyStoreError) => {
        // The id may have been deleted and created anew with another algorithm: ask again, once.
        if (!remembered || error.code === 'UNAVAILABLE') throw error;
        aliasSpecs.delete(alias);
        spec = await specOfAlias(keyId, alias);
        return signWith(spec);
      });
      const signature = out.Signature ? spec.signature(new Uint8Array(out.Signature)) : undefined;
      if (!signature) {
        throw new KeyStoreError('INTEGRITY', `KMS returned no ${spec.alg} signature for "${keyId}"`, {
          storeType: TYPE,
          keyId,
        });
      }
      return signature;
    },
    async close() {
      transport.destroy();
    },
  };
  return store;
}
