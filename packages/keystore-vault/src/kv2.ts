/**
 * The KV v2 layout of Phlow keys and the shapes of Vault's answers.
 *
 * A key pair lives where the Python Phlow put it and where `vault kv put phlow/keys/<id>` puts it: mount
 * `phlow`, path `keys/<id>`, fields `private_key` and `public_key`; phlow-keys adds `activates_at` (ISO 8601, ms
 * precision: when the version starts signing), which the Python Phlow ignores and may leave out. KV v2 serves that one secret under several
 * API paths: `<mount>/data/<path>` (versions' contents), `<mount>/metadata/<path>` (version list, settings,
 * LIST), `<mount>/delete/<path>` (soft delete of chosen versions) and `<mount>/config` (mount settings).
 */

import { parseStoredTime } from '@phlow/keys-core/adapter';

export interface KvLayout {
  readonly mount: string;
  /** Empty or ending in `/`. */
  readonly prefix: string;
}

export const dataPath = (l: KvLayout, keyId: string): string => `${l.mount}/data/${l.prefix}${keyId}`;
export const metadataPath = (l: KvLayout, keyId: string): string => `${l.mount}/metadata/${l.prefix}${keyId}`;
export const deletePath = (l: KvLayout, keyId: string): string => `${l.mount}/delete/${l.prefix}${keyId}`;
export const listPath = (l: KvLayout): string => `${l.mount}/metadata/${l.prefix}`;
export const configPath = (l: KvLayout): string => `${l.mount}/config`;
/** The path as the CLI names it (`vault kv get phlow/keys/my-agent`), for messages. */
export const cliPath = (l: KvLayout, keyId: string): string => `${l.mount}/${l.prefix}${keyId}`;

/** One version's contents, as read from `data/`. Either half may be missing from a secret written by hand. */
export interface KvSecret {
  readonly privateKey: string | undefined;
  readonly publicKey: string | undefined;
  readonly version: string;
  readonly createdAt: Date;
  /** The `activates_at` field (ISO 8601): when this version starts signing. Absent or unparseable: undefined. */
  readonly activatesAt: Date | undefined;
}

/** Why a read of `data/` found nothing: KV v2 keeps the metadata of deleted and destroyed versions. */
export type KvMiss =
  | { readonly state: 'absent' }
  | { readonly state: 'deleted'; readonly version: string; readonly deletedAt: Date }
  | { readonly state: 'destroyed'; readonly version: string };

export interface KvVersionInfo {
  readonly version: number;
  readonly createdAt: Date;
  /** A future time when `delete_version_after` is set: the version is readable until then. */
  readonly deletionTime: Date | undefined;
  readonly destroyed: boolean;
}

export interface KvMetadata {
  readonly currentVersion: number;
  /** 0 = the mount's setting. */
  readonly maxVersions: number;
  /** Vault duration string; "0s" = never. */
  readonly deleteVersionAfter: string;
  /** Newest first. */
  readonly versions: readonly KvVersionInfo[];
}

type Dict = Record<string, unknown>;
const dict = (value: unknown): Dict | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Dict) : undefined;
const date = (value: unknown): Date | undefined => {
  if (typeof value !== 'string' || value === '') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/**
 * The secret in a 200 answer from `data/`, or a string naming what is wrong with it. A field that is present but
 * not a string is wrong; a missing field is reported as undefined, so a public-key-only secret still serves
 * its public key.
 */
export function parseSecret(body: unknown): KvSecret | string {
  const outer = dict(dict(body)?.data);
  const data = dict(outer?.data);
  const meta = dict(outer?.metadata);
  if (!data || !meta) return 'the answer has no data';
  const field = (name: string): string | undefined | null => {
    const v = data[name];
    return v === undefined || v === null ? undefined : typeof v === 'string' ? v : null;
  };
  const privateKey = field('private_key');
  const publicKey = field('public_key');
  if (privateKey === null || publicKey === null) return 'private_key and public_key must be strings';
  return {
    privateKey,
    publicKey,
    version: String(meta.version ?? ''),
    createdAt: date(meta.created_time) ?? new Date(0),
    activatesAt: parseStoredTime(data.activates_at),
  };
}

/** Reads the body of a 404 from `data/`: deleted and destroyed versions still carry their metadata. */
export function parseMiss(body: unknown): KvMiss {
  const meta = dict(dict(dict(body)?.data)?.metadata);
  if (!meta || meta.version === undefined) return { state: 'absent' };
  const version = String(meta.version);
  if (meta.destroyed === true) return { state: 'destroyed', version };
  const deletedAt = date(meta.deletion_time);
  return deletedAt ? { state: 'deleted', version, deletedAt } : { state: 'absent' };
}

export function parseMetadata(body: unknown): KvMetadata | undefined {
  const data = dict(dict(body)?.data);
  const versions = dict(data?.versions);
  if (!data || !versions) return undefined;
  const list: KvVersionInfo[] = [];
  for (const [key, value] of Object.entries(versions)) {
    const v = dict(value);
    const version = Number(key);
    if (!v || !Number.isInteger(version)) continue;
    list.push({
      version,
      createdAt: date(v.created_time) ?? new Date(0),
      deletionTime: date(v.deletion_time),
      destroyed: v.destroyed === true,
    });
  }
  list.sort((a, b) => b.version - a.version);
  return {
    currentVersion: Number(data.current_version) || 0,
    maxVersions: Number(data.max_versions) || 0,
    deleteVersionAfter: typeof data.delete_version_after === 'string' ? data.delete_version_after : '0s',
    versions: list,
  };
}

/** A version can be read when it is not destroyed and its deletion time, if any, is still ahead. */
export function isReadable(v: KvVersionInfo, now = Date.now()): boolean {
  return !v.destroyed && (v.deletionTime === undefined || v.deletionTime.getTime() > now);
}

/** The `keys` of a LIST answer that are key ids (sub-folders end in `/`). */
export function parseList(body: unknown): string[] {
  const keys = dict(dict(body)?.data)?.keys;
  return Array.isArray(keys)
    ? keys.filter((k): k is string => typeof k === 'string' && !k.endsWith('/'))
    : [];
}

/** The current version can be read: the key exists and is not (soft-)deleted. */
export function currentIsReadable(meta: KvMetadata, now = Date.now()): boolean {
  return meta.versions.some((v) => v.version === meta.currentVersion && isReadable(v, now));
}
