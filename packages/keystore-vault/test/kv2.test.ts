// Parsing of KV v2 answers and the retention rule. No server needed; the bodies are what Vault 1.21 returns.
import { describe, expect, it } from 'vitest';
import { currentIsReadable, parseList, parseMetadata, parseMiss, parseSecret } from '../src/kv2.js';
import { effectiveMaxVersions, retentionWarnings } from '../src/retention.js';

const meta = (version: number, extra: Record<string, unknown> = {}) => ({
  created_time: '2025-01-01T00:00:00.000Z',
  custom_metadata: null,
  deletion_time: '',
  destroyed: false,
  version,
  ...extra,
});

describe('KV v2 answers', () => {
  it('reads a secret and its version', () => {
    const s = parseSecret({ data: { data: { private_key: 'P', public_key: 'Q' }, metadata: meta(3) } });
    expect(s).toEqual({
      privateKey: 'P',
      publicKey: 'Q',
      version: '3',
      createdAt: new Date('2025-01-01T00:00:00Z'),
    });
    expect(parseSecret({ data: { data: { public_key: 'Q' }, metadata: meta(1) } })).toMatchObject({
      privateKey: undefined,
    });
    expect(typeof parseSecret({ data: { data: { private_key: 5 }, metadata: meta(1) } })).toBe('string');
  });

  it('tells a deleted or destroyed version from a key that never existed', () => {
    expect(parseMiss({ errors: [] })).toEqual({ state: 'absent' });
    expect(
      parseMiss({ data: { data: null, metadata: meta(2, { deletion_time: '2025-02-01T00:00:00Z' }) } }),
    ).toEqual({
      state: 'deleted',
      version: '2',
      deletedAt: new Date('2025-02-01T00:00:00Z'),
    });
    expect(parseMiss({ data: { data: null, metadata: meta(2, { destroyed: true }) } })).toEqual({
      state: 'destroyed',
      version: '2',
    });
  });

  it('reads metadata newest first; a future deletion time is still readable', () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const m = parseMetadata({
      data: {
        current_version: 3,
        max_versions: 0,
        delete_version_after: '0s',
        versions: {
          '1': meta(1, { destroyed: true }),
          '3': meta(3, { deletion_time: future }),
          '2': meta(2, { deletion_time: '2020-01-01T00:00:00Z' }),
        },
      },
    });
    expect(m?.versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(m && currentIsReadable(m)).toBe(true);
    expect(currentIsReadable({ ...m!, currentVersion: 2 })).toBe(false);
  });

  it('lists key ids, not sub-folders', () => {
    expect(parseList({ data: { keys: ['a', 'b/', 'c'] } })).toEqual(['a', 'c']);
  });
});

describe('retention rule', () => {
  it('uses the key setting, else the mount setting, else Vault default 10', () => {
    expect(effectiveMaxVersions(undefined)).toBe(10);
    expect(effectiveMaxVersions({ maxVersions: 4, deleteVersionAfter: '0s' })).toBe(4);
    expect(
      effectiveMaxVersions(
        { maxVersions: 4, deleteVersionAfter: '0s' },
        { maxVersions: 1, deleteVersionAfter: '0s' },
      ),
    ).toBe(1);
  });

  it('warns when one version is kept (rotation grace impossible) or versions expire', () => {
    expect(retentionWarnings('mount "phlow"', { maxVersions: 0, deleteVersionAfter: '0s' })).toEqual([]);
    const [one] = retentionWarnings('mount "phlow"', { maxVersions: 1, deleteVersionAfter: '0s' });
    expect(one).toContain('rotation grace is impossible');
    const [expiring] = retentionWarnings('key phlow/keys/a', undefined, {
      maxVersions: 0,
      deleteVersionAfter: '768h0m0s',
    });
    expect(expiring).toContain('delete_version_after');
  });
});
