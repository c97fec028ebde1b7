/**
 * The KeyStore contract: what every backend adapter implements and what KeyManager relies on.
 *
 * Plain structural types, no base classes, so that two installed copies of core still agree on what a
 * store is. The four operations of the original Python Phlow are required; everything else is an optional
 * capability that a store declares in `capabilities` (never guessed from the presence of a method).
 */

/**
 * Version of this contract. Adapters export the version they were built against; the resolver refuses an
 * adapter whose major differs from core's. 1.1.0 added the optional `signer` capability (stores that sign
 * inside the backend); 1.2.0 added the optional `activation` capability (an activation time stored with each
 * version); 1.3.0 added the optional `delayedDestroy` capability (deleted keys linger in the backend for a
 * waiting period). Minor versions only add optional parts: a 1.0, 1.1 or 1.2 adapter is a valid 1.3 store.
 */
export const KEYSTORE_CONTRACT_VERSION = '1.3.0';

/** Environment variables as a plain map, `process.env` by default everywhere an `env` option exists. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What a store declares it can do. */
export interface KeyStoreCapabilities {
  /**
   * `storeKeyPair` and `deleteKeyPair` work. A read-only store (env) sets this to false, and then both throw
   * UNSUPPORTED naming a writable store.
   */
  readonly write: boolean;
  /** `getKeyPair` reads both halves in one backend read, so the pair is consistent. */
  readonly readPair: boolean;
  /** `listKeyIds` exists and returns every stored id, sorted, and no deleted one. */
  readonly list: boolean;
  /**
   * The store keeps previous versions: `getKeyVersions` exists (current first with `current: true`, then older
   * ones newest first, each with a distinct string `version` and a `createdAt` Date), `getKeyPair` carries
   * the current `version`, and `storeKeyPair` honours `expectedVersion` atomically (compare-and-set: of
   * concurrent writes with the same expected version exactly one wins, the others get CONFLICT and write
   * nothing). Needed for rotation with a grace period.
   */
  readonly versions: boolean;
  /**
   * The store keeps its private keys inside the backend (Vault Transit, a PKCS#11 token, a KMS) and signs
   * there: `sign`, `getPublicKeyVersions`, `createKey`, `rotateKey` and `retireVersions` exist (see
   * SignerKeyStore), `getPrivateKey` throws UNSUPPORTED saying why, `storeKeyPair` throws UNSUPPORTED
   * (no key material goes in either), and `deleteKeyPair` works. Such a store declares `write: false` (it
   * accepts no key material), `readPair: false` and `versions: false`: its versions are public-only.
   * Absent means false (contract 1.0 stores).
   */
  readonly signer?: boolean;
  /**
   * The store persists an activation time per version: `storeKeyPair` keeps `options.activatesAt` with the
   * version it writes, and `getKeyPair`, `getKeyVersions` (and, for signer stores, `getPublicKeyVersions`)
   * return it as `activatesAt` on that version. Versions written without one (by the Python Phlow or an
   * older phlow-keys) read without it. KeyManager then fixes the activation time once, at rotation, so every
   * replica agrees on the signing key whatever its own delay setting. Absent means false (contract < 1.2).
   */
  readonly activation?: boolean;
  /**
   * `deleteKeyPair` only schedules the destruction of a key, `destroy: true` included: the backend keeps the
   * key (disabled, unusable) for a waiting period before it is gone, and bills or lists it meanwhile (AWS KMS:
   * 7 to 30 days; a vault with soft delete). Tools that write a key only to test the store (`phlow-keys
   * doctor`) do not write on such a store unless asked. Absent means false: a destroyed key is gone at once
   * (contract < 1.3).
   */
  readonly delayedDestroy?: boolean;
}

/** A key pair as a store holds it: PEM strings, in the original `private_key` / `public_key` layout. */
export interface StoredKeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
  /** Opaque store-specific version (Vault KV version, AWS VersionId, file generation). Set by versioned stores. */
  readonly version?: string;
  /** When this version was written, where the store knows it. */
  readonly createdAt?: Date;
  /**
   * When this version starts signing, as fixed by the process that wrote it (capability `activation`).
   * Absent for versions written without one; a missing or unparseable stored value reads as absent.
   */
  readonly activatesAt?: Date;
}

/** One version of a key pair, as returned by `getKeyVersions`. */
export interface StoredKeyVersion extends StoredKeyPair {
  readonly version: string;
  readonly createdAt: Date;
  /** True for the version that `getKeyPair` returns. */
  readonly current: boolean;
}

export interface StoreKeyPairOptions {
  /**
   * Compare-and-set, honoured by stores with `capabilities.versions`:
   * `null` writes only if the id does not exist yet; a version string writes only if that is still the
   * current version. A mismatch is a `CONFLICT` error and writes nothing. `undefined` writes unconditionally.
   */
  readonly expectedVersion?: string | null;
  /**
   * When this version starts signing, fixed at rotation time by the rotating process (rotation time + its
   * delay; rotation time for an emergency rotation). Stores with `capabilities.activation` persist it with
   * the version (millisecond precision) and return it on reads; other stores ignore it.
   */
  readonly activatesAt?: Date;
}

export interface DeleteKeyPairOptions {
  /**
   * Remove every version beyond recovery. Without it, stores that can (Vault, AWS) delete recoverably.
   * Default: false.
   */
  readonly destroy?: boolean;
}

/**
 * A key store. Four methods are required, but a store has more obligations than its method list; the
 * conformance suite (`@phlow/keystore-testkit`, whose README lists them with an example adapter) checks each:
 *
 * - Every method calls `assertValidKeyId(keyId, type)` before touching the backend (INVALID_KEY_ID).
 * - Missing ids: `getPrivateKey`, `getPublicKey`, `getKeyPair` return `null`, `getKeyVersions` returns `[]`,
 *   `deleteKeyPair` does nothing.
 * - Reads return exactly the stored strings (PEMs of RSA-4096 size included); `storeKeyPair` without options
 *   overwrites; an id can be stored again after a delete; concurrent stores of different ids all survive.
 * - Capabilities are declared, never guessed: see KeyStoreCapabilities for what each one promises.
 * - A read-only store (`write: false`) throws UNSUPPORTED from `storeKeyPair` and `deleteKeyPair`, naming a
 *   writable store.
 * - Every failure is a `KeyStoreError` with a `code`, `storeType` equal to `type`, and no key material
 *   anywhere (message, stack, cause, JSON).
 * - Records from `getKeyPair` and `getKeyVersions` are wrapped in `storedKeyPair()`, so printing them shows
 *   the private half as `[redacted]`.
 */
export interface KeyStore {
  /** The `PHLOW_KEY_STORE_TYPE` name of this store, used in messages: `vault`, `aws`, `encrypted_file`, ... */
  readonly type: string;
  readonly capabilities: KeyStoreCapabilities;

  getPrivateKey(keyId: string): Promise<string | null>;
  getPublicKey(keyId: string): Promise<string | null>;
  storeKeyPair(
    keyId: string,
    privateKey: string,
    publicKey: string,
    options?: StoreKeyPairOptions,
  ): Promise<void>;
  deleteKeyPair(keyId: string, options?: DeleteKeyPairOptions): Promise<void>;

  /** Capability `readPair`: both halves in one backend read. */
  getKeyPair?(keyId: string): Promise<StoredKeyPair | null>;
  /** Capability `list`: every stored id, sorted. */
  listKeyIds?(): Promise<string[]>;
  /** Capability `versions`: the current version first, then older ones still held, newest first. */
  getKeyVersions?(keyId: string): Promise<StoredKeyVersion[]>;
  /** Releases connections, timers and locks. Optional; safe to call twice. */
  close?(): Promise<void>;

  /** Capability `signer`: an Ed25519 signature of `data` made inside the backend (see SignerKeyStore). */
  sign?(keyId: string, data: Uint8Array, options?: SignOptions): Promise<Uint8Array>;
  /** Capability `signer`: the public keys per version, current first, then older ones newest first. */
  getPublicKeyVersions?(keyId: string): Promise<PublicKeyVersion[]>;
  /** Capability `signer`: a new key generated inside the backend (Ed25519 unless `options.algorithm` says otherwise). */
  createKey?(keyId: string, options?: CreateKeyOptions): Promise<void>;
  /** Capability `signer`: a new version generated inside the backend becomes current. */
  rotateKey?(keyId: string, options: RotateKeyOptions): Promise<void>;
  /** Capability `signer`: versions older than `keepFrom` can no longer sign or be read. */
  retireVersions?(keyId: string, options: RetireVersionsOptions): Promise<void>;
}

/** One version of a key that never leaves its store: the public half only. */
export interface PublicKeyVersion {
  /** Public key, PEM (SubjectPublicKeyInfo). */
  readonly publicKey: string;
  readonly version: string;
  readonly createdAt: Date;
  /** True for the newest version. */
  readonly current: boolean;
  /** When this version starts signing, where the store persists it (capability `activation`). */
  readonly activatesAt?: Date;
}

export interface SignOptions {
  /**
   * Sign with this version (from `getPublicKeyVersions`) instead of the current one: KeyManager pins the
   * previous version while a new one waits for its activation time. NOT_FOUND if the store no longer has it.
   */
  readonly version?: string;
}

export interface CreateKeyOptions {
  /**
   * The new key's algorithm, as the core's algorithm table names it (`EdDSA`, `ES256`, `RS256`). Default: the
   * store's own default. A store that cannot make that kind of key throws UNSUPPORTED and creates nothing.
   */
  readonly algorithm?: string;
}

export interface RotateKeyOptions {
  /**
   * Compare-and-set: rotate only if this is still the current version; otherwise CONFLICT and nothing
   * changes (of concurrent rotations exactly one wins, within what the backend can guarantee: see the
   * adapter's README).
   */
  readonly expectedVersion: string;
  /**
   * When the new version starts signing, fixed by the rotating process (see `StoreKeyPairOptions.activatesAt`).
   * Signer stores with `capabilities.activation` keep it with the version and return it from
   * `getPublicKeyVersions`; other stores ignore it.
   */
  readonly activatesAt?: Date;
}

export interface RetireVersionsOptions {
  /** The oldest version that stays; every older one is removed beyond use. */
  readonly keepFrom: string;
}

/** A store that declares `capabilities.signer`: the methods it must have. */
export interface SignerKeyStore extends KeyStore {
  sign(keyId: string, data: Uint8Array, options?: SignOptions): Promise<Uint8Array>;
  getPublicKeyVersions(keyId: string): Promise<PublicKeyVersion[]>;
  createKey(keyId: string, options?: CreateKeyOptions): Promise<void>;
  rotateKey(keyId: string, options: RotateKeyOptions): Promise<void>;
  retireVersions(keyId: string, options: RetireVersionsOptions): Promise<void>;
}

/** True if `store` declares the signer capability and has its methods. */
export function isSignerStore(store: KeyStore): store is SignerKeyStore {
  return (
    store.capabilities.signer === true &&
    typeof store.sign === 'function' &&
    typeof store.getPublicKeyVersions === 'function' &&
    typeof store.createKey === 'function' &&
    typeof store.rotateKey === 'function' &&
    typeof store.retireVersions === 'function'
  );
}

/** Options every provider accepts; adapters add their own. */
export interface KeyStoreFactoryOptions {
  /** Where unset options are read from. Default: `process.env`. */
  readonly env?: Env;
  /** Where a relative path (a key file, a token file) is resolved from. Default: `process.cwd()`. */
  readonly cwd?: string;
}

/**
 * What an adapter package default-exports and the resolver loads. `create` reads any option it is not
 * given from `env`, so `createKeyStoreFromEnv` needs nothing else.
 */
export interface KeyStoreProvider<Options extends KeyStoreFactoryOptions = KeyStoreFactoryOptions> {
  /** `KEYSTORE_CONTRACT_VERSION` of the core the adapter was built against. */
  readonly contractVersion: string;
  /** The canonical `PHLOW_KEY_STORE_TYPE` name. */
  readonly type: string;
  create(options?: Options): KeyStore | Promise<KeyStore>;
}

/** Declares a provider with its contract version filled in. */
export function defineKeyStoreProvider<Options extends KeyStoreFactoryOptions>(
  provider: Omit<KeyStoreProvider<Options>, 'contractVersion'>,
): KeyStoreProvider<Options> {
  return { contractVersion: KEYSTORE_CONTRACT_VERSION, ...provider };
}
