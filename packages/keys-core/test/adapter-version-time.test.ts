/**
 * versionTimes, the one rule for dating a new version (adapter/version-time.ts): the boundaries of the
 * tolerance, and what the writer's times become on each side of it. The stores' own tests run it against real
 * files, Vault and moto with shifted clocks (keystore-file, keystore-vault, keystore-aws test/clock.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { CLOCK_TOLERANCE_MS, versionTimes } from '../src/adapter/index.js';

const T = Date.parse('2026-12-07T10:00:00.000Z');
const at = (ms: number) => new Date(ms);
const base = { storeType: 'test', keyId: 'agent' };

describe('versionTimes', () => {
  it('a writer at or ahead of the newest version keeps its own times', () => {
    for (const now of [T, T + 1, T + 86_400_000]) {
      expect(
        versionTimes({ ...base, now: at(now), newestCreatedAt: at(T), activatesAt: at(now + 60_000) }),
      ).toEqual({
        createdAt: at(now),
        activatesAt: at(now + 60_000),
      });
    }
  });

  it('no predecessor (a new id), or one without a usable time: the writer’s times', () => {
    expect(versionTimes({ ...base, now: at(T) })).toEqual({ createdAt: at(T) });
    expect(versionTimes({ ...base, now: at(T), newestCreatedAt: new Date(Number.NaN) })).toEqual({
      createdAt: at(T),
    });
  });

  it('behind by at most the tolerance: dated at the predecessor, activation moved by the same amount', () => {
    for (const behind of [1, 60_000, CLOCK_TOLERANCE_MS]) {
      expect(
        versionTimes({
          ...base,
          now: at(T - behind),
          newestCreatedAt: at(T),
          activatesAt: at(T - behind + 30_000),
        }),
      ).toEqual({ createdAt: at(T), activatesAt: at(T + 30_000) });
    }
  });

  it('behind by more than the tolerance: INVALID_CONFIG naming the id, both times and what to do', () => {
    for (const behind of [CLOCK_TOLERANCE_MS + 1, 20 * 60_000, 25 * 3_600_000]) {
      expect(() => versionTimes({ ...base, now: at(T - behind), newestCreatedAt: at(T) })).toThrow(
        expect.objectContaining({
          code: 'INVALID_CONFIG',
          storeType: 'test',
          keyId: 'agent',
          message: expect.stringMatching(
            /^\[phlow\] \[test\] this host's clock \(.*\) is .* behind the newest version of key "agent" \(created 2026-12-07T10:00:00.000Z\).*synchronise this host's clock/,
          ),
        }),
      );
    }
  });

  it('the tolerance can be set per call', () => {
    expect(() =>
      versionTimes({ ...base, now: at(T - 2_000), newestCreatedAt: at(T), toleranceMs: 1_000 }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
