/**
 * The decrypted payload: the Python Phlow's JSON layout `{"<id>": {"private_key", "public_key"}}`, plus the
 * fields versioning needs (`version`, `created_at`, `previous: [...]`, newest first). A reader that knows only
 * the original layout still finds both halves of every current key where it expects them.
 *
 * Everything here is pure: parse, serialise, and compute the next map for a store or a delete.
 */
import type { StoredKeyVersion } from '@phlow/keys-core';
import { integrityError, storeError } from './errors.js';

export interface FileKeyVersion {
  readonly private_key: string;
  readonly public_key: string;
  readonly version: string;
  readonly created_at: string;
}

export interface FileEntry extends FileKeyVersion {
  /** Older versions, newest first. */
  readonly previous?: readonly FileKeyVersion[];
}

export type KeyMap = ReadonlyMap<string, FileEntry>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Fills what the Python layout lacks (version "1", the file's date) and checks the types. */
function normaliseVersion(value: unknown, fallbackDate: string): FileKeyVersion | null {
  if (!isObject(value)) return null;
  const { private_key, public_key } = value;
  const version = value.version ?? '1';
  const created_at = value.created_at ?? fallbackDate;
  if (typeof private_key !== 'string' || typeof public_key !== 'string') return null;
  if (typeof version !== 'string' || typeof created_at !== 'string' || Number.isNaN(Date.parse(created_at))) {
    return null;
  }
  return { ...value, private_key, public_key, version, created_at };
}

/**
 * Parses a decrypted payload. `fallbackDate` is used for entries without `created_at` (Python files).
 * A payload of the wrong shape is INTEGRITY; the parser's own message is dropped because it can quote key text.
 */
export function parsePayload(
  plaintext: Uint8Array,
  path: string,
  fallbackDate: Date,
): Map<string, FileEntry> {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw integrityError(path, 'the decrypted payload is not JSON');
  }
  if (!isObject(data)) throw integrityError(path, 'the decrypted payload is not a JSON object');
  const fallback = fallbackDate.toISOString();
  const map = new Map<string, FileEntry>();
  for (const [id, value] of Object.entries(data)) {
    const current = normaliseVersion(value, fallback);
    const rawPrevious = isObject(value) ? (value.previous ?? []) : [];
    const previous = Array.isArray(rawPrevious)
      ? rawPrevious.map((v) => normaliseVersion(v, fallback))
      : [null];
    if (!current || previous.includes(null)) {
      throw integrityError(path, `the entry for key "${id.slice(0, 128)}" has an unexpected shape`);
    }
    map.set(id, { ...current, previous: previous as FileKeyVersion[] });
  }
  return map;
}

export function serialisePayload(map: KeyMap): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(Object.fromEntries(map)));
}

/**
 * The map after storing a pair: the new version becomes current, the old current moves to `previous`, and
 * at most `maxVersions` versions are kept in all. `expectedVersion` is compare-and-set (see the contract).
 */
export function withStored(
  map: KeyMap,
  keyId: string,
  privateKey: string,
  publicKey: string,
  expectedVersion: string | null | undefined,
  maxVersions: number,
  now: Date,
): Map<string, FileEntry> {
  const entry = map.get(keyId);
  const currentVersion = entry?.version ?? null;
  if (expectedVersion !== undefined && expectedVersion !== currentVersion) {
    throw storeError(
      'CONFLICT',
      `key "${keyId}" changed since it was read (expected version ${expectedVersion ?? 'none'}, found ${currentVersion ?? 'none'}); read it again and retry`,
      undefined,
      keyId,
    );
  }
  const next = new Map(map);
  const version = String((entry ? Number.parseInt(entry.version, 10) || 0 : 0) + 1);
  const older: FileKeyVersion[] = entry
    ? [
        {
          private_key: entry.private_key,
          public_key: entry.public_key,
          version: entry.version,
          created_at: entry.created_at,
        },
        ...(entry.previous ?? []),
      ]
    : [];
  next.set(keyId, {
    private_key: privateKey,
    public_key: publicKey,
    version,
    created_at: now.toISOString(),
    previous: older.slice(0, maxVersions - 1),
  });
  return next;
}

/** The map without `keyId`, or null when it was not there (nothing to write). */
export function withDeleted(map: KeyMap, keyId: string): Map<string, FileEntry> | null {
  if (!map.has(keyId)) return null;
  const next = new Map(map);
  next.delete(keyId);
  return next;
}

/** Every version of an entry as the contract returns them: current first, then older, newest first. */
export function entryVersions(entry: FileEntry): StoredKeyVersion[] {
  return [entry, ...(entry.previous ?? [])].map((v, i) => ({
    privateKey: v.private_key,
    publicKey: v.public_key,
    version: v.version,
    createdAt: new Date(v.created_at),
    current: i === 0,
  }));
}
