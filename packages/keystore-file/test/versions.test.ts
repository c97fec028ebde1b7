// Versions are kept by time since they were replaced (versionRetentionMs), not by count: several rotations
// within one grace period retire no key early, and the count cap refuses a write instead of dropping one.
import { describe, expect, it } from 'vitest';
import { createFileKeyStore } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { entryVersions, type KeyMap, withStored } from '../src/payload.js';
import { RAW_KEY, tempDir } from './helpers.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** Stores versions of 'k' at the given times (ms after t0) into an empty map. */
function history(times: number[], limits: { maxVersions: number; retentionMs: number }): KeyMap {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  let map: KeyMap = new Map();
  times.forEach((t, i) => {
    map = withStored(map, 'k', `P${i + 1}`, `Q${i + 1}`, undefined, limits, new Date(t0 + t));
  });
  return map;
}

const versionsOf = (map: KeyMap) => entryVersions(map.get('k')!).map((v) => v.version);

describe('versions bounded by time in retention', () => {
  it('six rotations within one day keep all six keys with the defaults (the old count of 5 dropped one)', async () => {
    const store = createFileKeyStore({ cwd: tempDir(), masterKey: RAW_KEY, env: {} });
    for (let i = 1; i <= 6; i++) await store.storeKeyPair('k', `P${i}`, `Q${i}`);
    const versions = await store.getKeyVersions('k');
    expect(versions.map((v) => v.version)).toEqual(['6', '5', '4', '3', '2', '1']);
    expect(versions.map((v) => v.current)).toEqual([true, false, false, false, false, false]);
    for (const v of versions) expect(v.createdAt).toBeInstanceOf(Date);
  });

  it('a version is dropped once its replacement is older than the retention, and not before', () => {
    const limits = { maxVersions: 20, retentionMs: 7 * DAY };
    // v2 replaced v1 at 1 h; v3 replaced v2 at 2 h; v4 arrives 7 days + 1 h after v2 was replaced.
    expect(versionsOf(history([0, HOUR, 2 * HOUR, 7 * DAY + 2 * HOUR - 1], limits))).toEqual(['4', '3', '2']);
    expect(versionsOf(history([0, HOUR, 2 * HOUR, 7 * DAY + 2 * HOUR], limits))).toEqual(['4', '3']);
    // The version replaced by the new one is always kept (its grace starts now) unless the retention is 0.
    expect(versionsOf(history([0, 100 * DAY], limits))).toEqual(['2', '1']);
    expect(versionsOf(history([0, HOUR, 2 * HOUR], { maxVersions: 20, retentionMs: 0 }))).toEqual(['3']);
  });

  it('the count cap refuses a write that would drop a version in retention, and allows it once out of it', () => {
    const limits = { maxVersions: 2, retentionMs: DAY };
    expect(() => history([0, HOUR, 2 * HOUR], limits)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('its version 1') }),
    );
    expect(versionsOf(history([0, HOUR, DAY + HOUR], limits))).toEqual(['3', '2']);
  });

  it('settings: options, PHLOW_KEY_STORE_MAX_VERSIONS, PHLOW_KEY_VERSION_RETENTION_SECONDS, and the grace default', () => {
    const resolve = (options: object) => resolveOptions({ masterKey: RAW_KEY, ...options }).versions;
    expect(resolve({ env: {} })).toEqual({ maxVersions: 20, retentionMs: 7 * DAY });
    expect(
      resolve({ env: { PHLOW_KEY_STORE_MAX_VERSIONS: '50', PHLOW_KEY_VERSION_RETENTION_SECONDS: '60' } }),
    ).toEqual({
      maxVersions: 50,
      retentionMs: 60_000,
    });
    // A grace period longer than half the default: retention grows to twice it.
    expect(resolve({ env: { PHLOW_KEY_ROTATION_GRACE_SECONDS: String(10 * 86400) } }).retentionMs).toBe(
      20 * DAY,
    );
    expect(
      resolve({ maxVersions: 3, versionRetentionMs: 0, env: { PHLOW_KEY_STORE_MAX_VERSIONS: '50' } }),
    ).toEqual({
      maxVersions: 3,
      retentionMs: 0,
    });
    for (const env of [
      { PHLOW_KEY_STORE_MAX_VERSIONS: 'many' },
      { PHLOW_KEY_VERSION_RETENTION_SECONDS: '-1' },
    ]) {
      expect(() => resolve({ env })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });
});
