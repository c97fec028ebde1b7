/**
 * The one settings rule: option, then non-empty env variable, then default; a bad value is INVALID_CONFIG
 * naming the variable (or the option), with long values not echoed. parseDuration is the one grammar.
 */
import { describe, expect, it } from 'vitest';
import { durationSetting, intSetting, parseDuration } from '../src/adapter/index.js';
import { isKeyStoreError } from '../src/errors.js';

function failure(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    return error as Error & { code: string; storeType?: string };
  }
  throw new Error('expected a failure');
}

describe('adapter intSetting', () => {
  const range = { min: 0, max: 10, option: 'retries', storeType: 'aws_kms' };

  it('takes the option, then the variable, then the default', () => {
    expect(intSetting(4, { R: '7' }, 'R', 2, range)).toBe(4);
    expect(intSetting(undefined, { R: ' 7 ' }, 'R', 2, range)).toBe(7);
    expect(intSetting(undefined, { R: '' }, 'R', 2, range)).toBe(2);
    expect(intSetting(undefined, {}, 'R', 2, range)).toBe(2);
  });

  it('refuses -5, fractions, words and out-of-range values as INVALID_CONFIG naming the variable', () => {
    for (const bad of ['-5', '1.5', 'three', '11', '0x3', '1e1']) {
      const e = failure(() => intSetting(undefined, { PHLOW_X: bad }, 'PHLOW_X', 2, range));
      expect(isKeyStoreError(e, 'INVALID_CONFIG')).toBe(true);
      expect(e.message).toContain('PHLOW_X');
      expect(e.message).toContain('from 0 to 10');
      expect(e.storeType).toBe('aws_kms');
    }
    const e = failure(() => intSetting(-5, {}, 'PHLOW_X', 2, range));
    expect(e.message).toContain('option retries');
  });

  it('never echoes a long value', () => {
    const secret = 'A'.repeat(40);
    const e = failure(() => intSetting(undefined, { PHLOW_X: secret }, 'PHLOW_X', 2));
    expect(e.message).not.toContain(secret);
    expect(e.message).toContain('40 characters');
  });
});

describe('adapter parseDuration and durationSetting', () => {
  it('reads the one grammar into milliseconds', () => {
    expect(parseDuration('30')).toBe(30_000);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5')).toBe(1500);
  });

  it('refuses anything else as INVALID_CONFIG naming the variable', () => {
    for (const bad of ['', '-1s', '5 minutes', '1w', 's', '1e3']) {
      const e = failure(() => parseDuration(bad, 'PHLOW_DELAY_SECONDS'));
      expect(isKeyStoreError(e, 'INVALID_CONFIG')).toBe(true);
      expect(e.message).toContain('PHLOW_DELAY_SECONDS');
    }
  });

  it('durationSetting: option ms, then the variable as a duration, then the default; bounds apply', () => {
    expect(durationSetting(250, { T: '9' }, 'T', 1000)).toBe(250);
    expect(durationSetting(undefined, { T: '9' }, 'T', 1000)).toBe(9000);
    expect(durationSetting(undefined, { T: '2m' }, 'T', 1000)).toBe(120_000);
    expect(durationSetting(undefined, {}, 'T', 1000)).toBe(1000);
    const zero = failure(() => durationSetting(undefined, { T: '0' }, 'T', 1000));
    expect(zero.code).toBe('INVALID_CONFIG');
    expect(zero.message).toContain('T=');
    const high = failure(() => durationSetting(undefined, { T: '2h' }, 'T', 1000, { max: 60_000 }));
    expect(high.code).toBe('INVALID_CONFIG');
  });
});
