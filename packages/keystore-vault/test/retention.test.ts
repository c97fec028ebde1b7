// The rule that refuses a rotation which would make Vault destroy a version still in its grace period
// (versionLostInGrace, src/retention.ts). Pure logic, no server; the real refusal is in kv-behaviour.test.ts.
import { describe, expect, it } from 'vitest';
import type { KvMetadata } from '../src/kv2.js';
import { versionLostInGrace } from '../src/retention.js';

const HOUR = 3_600_000;
const now = Date.parse('2026-01-01T12:00:00Z');

/** Versions 1..n, version i written `ages[i-1]` hours before now; newest first as Vault lists them. */
function meta(ages: number[], deleted: number[] = []): KvMetadata {
  const versions = ages.map((age, i) => ({
    version: i + 1,
    createdAt: new Date(now - age * HOUR),
    deletionTime: deleted.includes(i + 1) ? new Date(now - 1) : undefined,
    destroyed: false,
  }));
  return {
    currentVersion: ages.length,
    maxVersions: 0,
    deleteVersionAfter: '0s',
    versions: versions.reverse(),
  };
}

describe('versionLostInGrace', () => {
  it('names the version the next write would destroy while its successor is younger than the grace period', () => {
    // max 3, versions 1..3: writing 4 destroys 1, replaced by 2 one hour ago: in a 24 h grace until 23 h from now.
    expect(versionLostInGrace(meta([3, 1, 0.5]), 3, 24 * HOUR, now)).toEqual({
      version: 1,
      retiresAt: new Date(now + 23 * HOUR),
    });
  });

  it('lets the write go ahead when the destroyed version is past its grace, or nothing is destroyed', () => {
    expect(versionLostInGrace(meta([50, 30, 1]), 3, 24 * HOUR, now)).toBeUndefined();
    expect(versionLostInGrace(meta([3, 1, 0.5]), 4, 24 * HOUR, now)).toBeUndefined();
    expect(versionLostInGrace(meta([3, 1, 0.5]), 3, 0, now)).toBeUndefined();
  });

  it('counts the current version as replaced by the write itself (max_versions 1)', () => {
    expect(versionLostInGrace(meta([5]), 1, HOUR, now)).toEqual({
      version: 1,
      retiresAt: new Date(now + HOUR),
    });
  });

  it('does not count a soft-deleted version as a loss', () => {
    expect(versionLostInGrace(meta([3, 1, 0.5], [1]), 3, 24 * HOUR, now)).toBeUndefined();
  });
});
