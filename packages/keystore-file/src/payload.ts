/**
 * The decrypted payload: the Python Phlow's JSON layout `{"<id>": {"private_key", "public_key"}}`, plus the
 * fields versioning needs (`version`, `created_at`, `activates_at` when the rotation fixed one, `previous:
 * [...]`, newest first). A reader that knows only
 * the original layout still finds both halves of every current key where it expects them.
 *
 * Version numbers are never reused for an id, even across delete and re-create: the last version of each
 * deleted id is remembered under the reserved top-level name `_phlow_meta` (`{"deleted_versions": {"<id>":
 * "<n>"}}`, present only when some id was deleted; no key id can start with `_`), and a re-created id goes on
 * from there. So a compare-and-set with a version read before the delete cannot match the new pair.
 *
 * Everything here is pure: parse, serialise, and compute the next map for a store or a delete.
 */
import type { StoredKeyVersion } from '@phlow/keys-core';
import { parseStoredTime, versionTimes } from '@phlow/keys-core/adapter';
import { integrityError, STORE_TYPE, storeError } from './errors.js';

export interface FileKeyVersion {
  readonly private_key: string;
  readonly public_key: string;
  readonly version: string;
  readonly created_at: string;
  /**
   * When the version starts signing (ISO 8601, ms precision), as the rotating process fixed it. Absent in
   * versions written by the Python Phlow or an older phlow-keys; an unparseable value reads as absent.
   */
  readonly activates_at?: string;
}

export interface FileEntry extends FileKeyVersion {
  /** Older versions, newest first. */
  readonly previous?: readonly FileKeyVersion[];
}

/** The entries, plus the last version number of every deleted id (see above). */
export type KeyMap = ReadonlyMap<string, FileEntry> & {
  readonly deletedVersions?: ReadonlyMap<string, number>;
};

/** Reserved top-level name of the file-wide metadata: not a valid key id. */
const META = '_phlow_meta';

function keyMap(
  entries: Iterable<readonly [string, FileEntry]>,
  deletedVersions: ReadonlyMap<string, number> | undefined,
): Map<string, FileEntry> & { deletedVersions: ReadonlyMap<string, number> } {
  return Object.assign(new Map(entries), { deletedVersions: deletedVersions ?? new Map<string, number>() });
}

const versionNumber = (version: string) => Number.parseInt(version, 10) || 0;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks the types of one version and fills what the Python layout lacks (version "1", the file's date), in
 * place: `value` is a fresh object from JSON.parse that nothing else holds, and copying 50,000 of them was a
 * fifth of opening a file that size. Returns null for a wrong shape.
 */
function normaliseVersion(value: unknown, fallbackDate: string): FileKeyVersion | null {
  if (!isObject(value)) return null;
  const { private_key, public_key } = value;
  const version = value.version ?? '1';
  const created_at = value.created_at ?? fallbackDate;
  if (typeof private_key !== 'string' || typeof public_key !== 'string') return null;
  if (typeof version !== 'string' || typeof created_at !== 'string' || Number.isNaN(Date.parse(created_at))) {
    return null;
  }
  if (value.version === undefined) value.version = version;
  if (value.created_at === undefined) value.created_at = created_at;
  return value as unknown as FileKeyVersion;
}

/**
 * Parses a decrypted payload. `fallbackDate` is used for entries without `created_at` (Python files).
 * A payload of the wrong shape is INTEGRITY; the parser's own message is dropped because it can quote key text.
 */
export function parsePayload(plaintext: Uint8Array, path: string, fallbackDate: Date): KeyMap {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw integrityError(path, 'the decrypted payload is not JSON');
  }
  if (!isObject(data)) throw integrityError(path, 'the decrypted payload is not a JSON object');
  const fallback = fallbackDate.toISOString();
  const deleted = new Map<string, number>();
  const entries = keyMap([], deleted);
  for (const id of Object.keys(data)) {
    const value = data[id];
    if (id === META) {
      const versions = isObject(value) ? value.deleted_versions : undefined;
      if (!isObject(versions)) throw integrityError(path, 'the payload metadata has an unexpected shape');
      for (const [deletedId, version] of Object.entries(versions)) {
        if (typeof version !== 'string') {
          throw integrityError(path, 'the payload metadata has an unexpected shape');
        }
        deleted.set(deletedId, versionNumber(version));
      }
      continue;
    }
    const current = normaliseVersion(value, fallback) as (FileKeyVersion & { previous?: unknown }) | null;
    const previous = current ? (current.previous ?? []) : null;
    if (!Array.isArray(previous) || !previous.every((v) => normaliseVersion(v, fallback))) {
      throw integrityError(path, `the entry for key "${id.slice(0, 128)}" has an unexpected shape`);
    }
    if (current!.previous === undefined) current!.previous = previous;
    entries.set(id, current as FileEntry);
  }
  return entries;
}

export function serialisePayload(map: KeyMap): Uint8Array {
  const data: Record<string, unknown> = Object.fromEntries(map);
  const deleted = map.deletedVersions;
  if (deleted && deleted.size > 0) {
    const versions = Object.fromEntries([...deleted].map(([id, n]) => [id, String(n)]));
    data[META] = { deleted_versions: versions };
  }
  return new TextEncoder().encode(JSON.stringify(data));
}

/** How many versions of an id the file keeps: by time since each was replaced, with a hard count cap. */
export interface VersionLimits {
  /** Versions per id at most, the current one included (`maxVersions`). */
  readonly maxVersions: number;
  /** A replaced version is kept while its replacement is younger than this (`versionRetentionMs`). */
  readonly retentionMs: number;
}

/**
 * The versions of `older` (newest first, `older[0]` being replaced at `now`) still within retention: a version
 * was replaced when the next newer one was created. Since creation times only go back, the first one out of
 * retention ends the list.
 */
function retained(older: readonly FileKeyVersion[], now: Date, retentionMs: number): FileKeyVersion[] {
  const kept: FileKeyVersion[] = [];
  let replacedAt = now.getTime();
  for (const version of older) {
    if (now.getTime() - replacedAt >= retentionMs) break;
    kept.push(version);
    replacedAt = Date.parse(version.created_at);
  }
  return kept;
}

/** CONFLICT unless `keyId`'s current version is `expectedVersion` (undefined: no compare-and-set). */
export function checkExpectedVersion(
  map: KeyMap,
  keyId: string,
  expectedVersion: string | null | undefined,
): void {
  const currentVersion = map.get(keyId)?.version ?? null;
  if (expectedVersion !== undefined && expectedVersion !== currentVersion) {
    throw storeError(
      'CONFLICT',
      `key "${keyId}" changed since it was read (expected version ${expectedVersion ?? 'none'}, found ${currentVersion ?? 'none'}); read it again and retry`,
      undefined,
      keyId,
    );
  }
}

/**
 * The map after storing a pair: the new version becomes current, the old current moves to `previous`, and
 * replaced versions are kept while within `limits.retentionMs` (so a key still in its grace period is never
 * dropped by a quick succession of rotations). When that would be more than `limits.maxVersions` versions
 * in all, the store is refused (INVALID_CONFIG naming both settings) rather than drop one of them.
 * `expectedVersion` is compare-and-set (see the contract).
 */
export function withStored(
  map: KeyMap,
  keyId: string,
  privateKey: string,
  publicKey: string,
  expectedVersion: string | null | undefined,
  limits: VersionLimits,
  now: Date,
  activatesAt?: Date,
): KeyMap {
  const entry = map.get(keyId);
  checkExpectedVersion(map, keyId, expectedVersion);
  // A re-created id goes on from its last version before the delete.
  const deleted = new Map(map.deletedVersions);
  const last = entry ? versionNumber(entry.version) : (deleted.get(keyId) ?? 0);
  deleted.delete(keyId);
  const next = keyMap(map, deleted);
  const version = String(last + 1);
  const older: FileKeyVersion[] = entry
    ? [
        {
          private_key: entry.private_key,
          public_key: entry.public_key,
          version: entry.version,
          created_at: entry.created_at,
          ...(entry.activates_at === undefined ? {} : { activates_at: entry.activates_at }),
        },
        ...(entry.previous ?? []),
      ]
    : [];
  // Dated by one clock: never before the version it replaces, refused from a clock far behind it.
  const times = versionTimes({
    now,
    newestCreatedAt: entry ? new Date(entry.created_at) : undefined,
    activatesAt,
    storeType: STORE_TYPE,
    keyId,
  });
  const kept = retained(older, times.createdAt, limits.retentionMs);
  if (1 + kept.length > limits.maxVersions) {
    const dropped = kept[limits.maxVersions - 1]!;
    throw storeError(
      'INVALID_CONFIG',
      `storing a new version of key "${keyId}" would drop its version ${dropped.version}, which was replaced less than versionRetentionMs (${Math.round(limits.retentionMs / 1000)} s, PHLOW_KEY_VERSION_RETENTION_SECONDS) ago and may still be in its grace period; at most maxVersions (${limits.maxVersions}, PHLOW_KEY_STORE_MAX_VERSIONS) versions are kept. Nothing was written: raise maxVersions, or lower the retention to what your grace period needs`,
      undefined,
      keyId,
    );
  }
  next.set(keyId, {
    private_key: privateKey,
    public_key: publicKey,
    version,
    created_at: times.createdAt.toISOString(),
    ...(times.activatesAt ? { activates_at: times.activatesAt.toISOString() } : {}),
    previous: kept,
  });
  return next;
}

/**
 * The map without `keyId`, or null when it was not there (nothing to write). Its highest version number is
 * remembered so that a re-created `keyId` never reuses one.
 */
export function withDeleted(map: KeyMap, keyId: string): KeyMap | null {
  const entry = map.get(keyId);
  if (!entry) return null;
  const highest = Math.max(...[entry, ...(entry.previous ?? [])].map((v) => versionNumber(v.version)));
  const deleted = new Map(map.deletedVersions);
  deleted.set(keyId, Math.max(highest, deleted.get(keyId) ?? 0));
  const next = keyMap(map, deleted);
  next.delete(keyId);
  return next;
}

/** Every version of an entry as the contract returns them: current first, then older, newest first. */
export function entryVersions(entry: FileEntry): StoredKeyVersion[] {
  return [entry, ...(entry.previous ?? [])].map((v, i) => {
    const activatesAt = parseStoredTime(v.activates_at);
    return {
      privateKey: v.private_key,
      publicKey: v.public_key,
      version: v.version,
      createdAt: new Date(v.created_at),
      ...(activatesAt ? { activatesAt } : {}),
      current: i === 0,
    };
  });
}
