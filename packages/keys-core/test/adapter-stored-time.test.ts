/** parseStoredTime: one reading of a stored activation time, the same instant on every host. */
import { describe, expect, it } from 'vitest';
import { parseStoredTime } from '../src/adapter/index.js';

describe('parseStoredTime', () => {
  it('reads ISO 8601 instants with an offset, to the millisecond', () => {
    expect(parseStoredTime('2026-12-07T08:00:00.123Z')?.toISOString()).toBe('2026-12-07T08:00:00.123Z');
    expect(parseStoredTime('2026-12-07T09:00:00+01:00')?.toISOString()).toBe('2026-12-07T08:00:00.000Z');
    expect(parseStoredTime(new Date(1_800_000_000_123).toISOString())?.getTime()).toBe(1_800_000_000_123);
  });

  it('reads anything else as absent: texts that Date would read differently per host or not at all', () => {
    for (const value of [
      '1', // Date: 2001-01-01, local time
      '0',
      'Dec 25 2099',
      '2026-12-07T08:00:00', // no offset: each host's own time zone
      '2026-12-07',
      '99999-01-01T00:00:00Z',
      '2026-13-40T99:00:00Z', // the shape, not a date
      ` 2026-12-07T08:00:00Z`,
      'x'.repeat(100_000),
      '',
      1_800_000_000_000,
      null,
      undefined,
      {},
    ]) {
      expect(parseStoredTime(value), JSON.stringify(value)?.slice(0, 40)).toBeUndefined();
    }
  });
});
