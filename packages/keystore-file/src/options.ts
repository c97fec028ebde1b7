/**
 * The store's options, and how unset ones are filled from the environment. No I/O happens here: a master key
 * file is only named, and read on first use.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Env, KeyStoreFactoryOptions } from '@phlow/keys-core';
import { durationSetting, intSetting } from '@phlow/keys-core/adapter';
import { configError, STORE_TYPE } from './errors.js';
import { DEFAULT_SCRYPT, type ScryptParams, scryptParamsProblem } from './kdf.js';
import { type MasterKey, parseMasterKey } from './master-key.js';
import type { VersionLimits } from './payload.js';

export interface FileKeyStoreOptions extends KeyStoreFactoryOptions {
  /**
   * The key file. Relative paths resolve from `cwd`; a bare file name (`keys.enc`) is fine.
   * Default: `.phlow/keys.enc`. Env: `PHLOW_KEY_STORE_FILE`.
   */
  readonly path?: string;
  /**
   * The master key: `base64:<32 bytes>` or `hex:<32 bytes>` is a raw key (see `generateMasterKey()`);
   * any other text is a passphrase, stretched with scrypt. Bytes must be exactly 32 (a raw key).
   * Wins over `masterKeyFile`, and options win over the environment. No default: with no key anywhere, the
   * store is INVALID_CONFIG (a key is never generated implicitly).
   * Env: `PHLOW_MASTER_KEY`.
   */
  readonly masterKey?: string | Uint8Array;
  /**
   * A file holding the master key in the same forms (surrounding whitespace ignored), like Rails'
   * `master.key`; `phlow-keys init` writes `.phlow/master.key`. Relative paths resolve from `cwd`.
   * No default. Env: `PHLOW_MASTER_KEY_FILE`.
   */
  readonly masterKeyFile?: string;
  /**
   * scrypt cost for files this store creates or rekeys with a passphrase. Files keep the cost they were
   * written with. Bounds: logN 10..20, r 1..32, p 1..16, at most 256 MiB, and N below 2^(16 r) as OpenSSL requires (r = 1 allows logN up to 15). Default: `{ logN: 17, r: 8, p: 1 }`.
   * No env variable.
   */
  readonly scrypt?: Partial<ScryptParams>;
  /**
   * The layout every write produces. `phlow` is this package's format 1 (XChaCha20-Poly1305, scrypt for a
   * passphrase); `fernet` is exactly what the Python Phlow wrote (one Fernet token, key from the master key by
   * its rule: a Fernet key as is, else unsalted SHA-256 of the passphrase), for a transition during which
   * Python agents read the same file. In `fernet` mode Python files are never migrated, and a format-1 file is
   * refused (INVALID_CONFIG) rather than downgraded. Default: `phlow`. Env: `PHLOW_KEY_STORE_FILE_FORMAT`.
   */
  readonly format?: FileFormat;
  /**
   * Largest key file (and `<file>.bak`) the store reads or writes, in bytes: a path that names something
   * huge (or `/dev/zero`, which is refused anyway as not a regular file) fails with INVALID_CONFIG instead of
   * filling memory, and a write that would produce a larger file is refused the same way. 1,000 Ed25519 ids
   * with 5 versions each take about 1.5 MB. Default: 67108864 (64 MiB). Env: `PHLOW_KEY_STORE_FILE_MAX_BYTES`.
   */
  readonly maxFileBytes?: number;
  /**
   * How long a replaced version stays in the file, in ms, counted from when the version that replaced it was
   * written: long enough for every verifier to stop needing it (grace period + rotation delay + cache TTL).
   * Versions are kept by this time, not by count, so several rotations within one grace period retire no
   * key early. Default: 7 days, or twice `PHLOW_KEY_ROTATION_GRACE_SECONDS` when that is longer.
   * Env: `PHLOW_KEY_VERSION_RETENTION_SECONDS`.
   */
  readonly versionRetentionMs?: number;
  /**
   * Hard cap on versions per key id, the current one included. A write that would need more versions in
   * retention is refused (INVALID_CONFIG naming both settings) instead of dropping one that may still be in
   * its grace period. Default: 20. Env: `PHLOW_KEY_STORE_MAX_VERSIONS`.
   */
  readonly maxVersions?: number;
  /**
   * Keep the previous generation of the file as `<file>.bak` on every write. Default: false. Whatever this
   * says, a `destroy` removes the id from an existing `<file>.bak` and a `rekey` re-encrypts it under the new
   * key (a backup the current key does not open is deleted in both cases).
   * Env: `PHLOW_KEY_STORE_BACKUP` (`true`/`1` or `false`/`0`).
   */
  readonly backup?: boolean;
  /** How long a write waits for another process's lock before UNAVAILABLE, in ms. Default: 10000. No env variable. */
  readonly lockTimeoutMs?: number;
  /**
   * Age in ms after which a lock is taken over when its holder cannot be checked: a holder on another host,
   * or in another pid namespace (a container sharing the host name). Age is the newer of the lock's start
   * time and its mtime, which the holder refreshes before each write. A holder on this host and in this pid
   * namespace is checked by pid instead: taken over at once when dead, never by age while alive (writers
   * wait, then get UNAVAILABLE after `lockTimeoutMs`). Default: 30000. No env variable.
   */
  readonly staleLockMs?: number;
  /**
   * Called once per file that other users can read (the key file, the master key file).
   * Default: `process.emitWarning`. No env variable.
   */
  readonly onWarning?: (message: string) => void;
  /**
   * The clock new versions are dated by, in ms since the epoch. A write from a clock more than 5 minutes
   * behind the id's newest version is refused; less than that behind, the version is dated at the newest
   * version's time (`@phlow/keys-core/adapter` versionTimes). For tests. Default: `Date.now`. No env variable.
   */
  readonly now?: () => number;
}

/** How the store writes the key file: its own format 1, or the Python Phlow's Fernet token. */
export type FileFormat = 'phlow' | 'fernet';

export type MasterKeySource =
  | { readonly kind: 'value'; readonly key: MasterKey }
  | { readonly kind: 'file'; readonly path: string };

export interface ResolvedOptions {
  readonly path: string;
  readonly masterKey: MasterKeySource;
  readonly format: FileFormat;
  readonly scrypt: ScryptParams;
  readonly versions: VersionLimits;
  readonly maxFileBytes: number;
  readonly backup: boolean;
  readonly lockTimeoutMs: number;
  readonly staleLockMs: number;
  readonly onWarning: (message: string) => void;
  readonly now: () => number;
}

export const DEFAULT_FILE = '.phlow/keys.enc';
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_VERSIONS = 20;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `versionRetentionMs`: the option, the variable (a duration: plain seconds, or `30s`, `15m`, `24h`, `7d`), or
 * 7 days (twice the grace period when that is longer).
 */
function resolveRetention(options: FileKeyStoreOptions, env: Env): number {
  const grace = Number(env.PHLOW_KEY_ROTATION_GRACE_SECONDS);
  const fallback = Math.max(7 * DAY_MS, Number.isFinite(grace) && grace > 0 ? 2 * grace * 1000 : 0);
  return durationSetting(options.versionRetentionMs, env, 'PHLOW_KEY_VERSION_RETENTION_SECONDS', fallback, {
    min: 0,
    option: 'versionRetentionMs',
    storeType: STORE_TYPE,
  });
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

/**
 * Options first, then the environment; within each, a key given as a value wins over a key file (as
 * RAILS_MASTER_KEY wins over config/master.key), so a file left in place never overrides an explicit key.
 */
function resolveMasterKey(options: FileKeyStoreOptions, env: Env, cwd: string): MasterKeySource {
  if (options.masterKey !== undefined) {
    return { kind: 'value', key: parseMasterKey(options.masterKey, 'the masterKey option') };
  }
  if (options.masterKeyFile !== undefined) return { kind: 'file', path: resolve(cwd, options.masterKeyFile) };
  const value = nonEmpty(env.PHLOW_MASTER_KEY);
  if (value !== undefined) return { kind: 'value', key: parseMasterKey(value, 'PHLOW_MASTER_KEY') };
  const file = nonEmpty(env.PHLOW_MASTER_KEY_FILE);
  if (file !== undefined) return { kind: 'file', path: resolve(cwd, file) };
  throw configError(
    'no master key: set PHLOW_MASTER_KEY (a passphrase, or a base64:/hex: raw key) or PHLOW_MASTER_KEY_FILE (a file holding one, such as .phlow/master.key from `phlow-keys init`). A key is never made up, because it would be lost at restart',
  );
}

function parseBoolean(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw configError(`${name} must be true or false (got ${JSON.stringify(value.slice(0, 20))})`);
}

const FORMATS: readonly string[] = ['phlow', 'fernet'] satisfies FileFormat[];

function parseFormat(value: unknown, name: string): FileFormat {
  if (typeof value === 'string' && FORMATS.includes(value)) return value as FileFormat;
  throw configError(
    `${name} must be "phlow" (the default) or "fernet" (the Python Phlow's layout, for Python agents sharing the file); got ${JSON.stringify(String(value).slice(0, 20))}`,
  );
}

function resolveFormat(options: FileKeyStoreOptions, env: Env): FileFormat {
  if (options.format !== undefined) return parseFormat(options.format, 'the format option');
  const value = nonEmpty(env.PHLOW_KEY_STORE_FILE_FORMAT);
  return value === undefined ? 'phlow' : parseFormat(value, 'PHLOW_KEY_STORE_FILE_FORMAT');
}

export function resolveOptions(options: FileKeyStoreOptions): ResolvedOptions {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.path ?? nonEmpty(env.PHLOW_KEY_STORE_FILE) ?? DEFAULT_FILE;
  const scrypt = { ...DEFAULT_SCRYPT, ...options.scrypt };
  const problem = scryptParamsProblem(scrypt);
  if (problem) throw configError(`the scrypt option is out of bounds: ${problem}`);
  return {
    path: isAbsolute(file) ? file : resolve(cwd, file),
    masterKey: resolveMasterKey(options, env, cwd),
    format: resolveFormat(options, env),
    scrypt,
    versions: {
      maxVersions: intSetting(
        options.maxVersions,
        env,
        'PHLOW_KEY_STORE_MAX_VERSIONS',
        DEFAULT_MAX_VERSIONS,
        {
          min: 1,
          option: 'maxVersions',
          storeType: STORE_TYPE,
        },
      ),
      retentionMs: resolveRetention(options, env),
    },
    maxFileBytes: intSetting(
      options.maxFileBytes,
      env,
      'PHLOW_KEY_STORE_FILE_MAX_BYTES',
      DEFAULT_MAX_FILE_BYTES,
      { min: 1, option: 'maxFileBytes', storeType: STORE_TYPE },
    ),
    backup: options.backup ?? parseBoolean(env.PHLOW_KEY_STORE_BACKUP, 'PHLOW_KEY_STORE_BACKUP') ?? false,
    // Options only (no variable): `{}` as the environment.
    lockTimeoutMs: intSetting(options.lockTimeoutMs, {}, 'lockTimeoutMs', 10_000, {
      min: 1,
      storeType: STORE_TYPE,
    }),
    staleLockMs: intSetting(options.staleLockMs, {}, 'staleLockMs', 30_000, {
      min: 1,
      storeType: STORE_TYPE,
    }),
    onWarning:
      options.onWarning ?? ((message) => process.emitWarning(message, { code: 'PHLOW_KEY_FILE_MODE' })),
    now: clockOption(options.now),
  };
}

function clockOption(now: unknown): () => number {
  if (now === undefined) return Date.now;
  if (typeof now !== 'function')
    throw configError('the now option must be a function returning ms since the epoch');
  return now as () => number;
}
