/**
 * One rule for numeric settings, whether they come from an option or from the environment: the option wins,
 * then a non-empty environment variable, then the default; a bad value (not a whole number, out of range, not
 * a duration) is INVALID_CONFIG naming the option or variable, never silently the default and never a value
 * that breaks the store later (`PHLOW_AWS_KMS_RETRIES=-5`). A long value is not echoed (it may be a pasted
 * secret).
 */
import type { Env } from '../contract.js';
import { KeyStoreError } from '../errors.js';
import { parseDuration, shown } from './duration.js';

export interface SettingRange {
  /** Smallest accepted value. Default: 0. */
  readonly min?: number;
  /** Largest accepted value. Default: Number.MAX_SAFE_INTEGER. */
  readonly max?: number;
  /** The option's name, for the message when the value came from the option (`retries`). */
  readonly option?: string;
  /** The store type the error is reported for (`aws_kms`). */
  readonly storeType?: string;
}

function fromEnv(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

/** `NAME="value"`, or `option name="value" (NAME)` when the value came from the option. */
function where(fromOption: boolean, name: string, raw: unknown, range: SettingRange): string {
  return fromOption ? `option ${range.option ?? name}=${shown(raw)} (${name})` : `${name}=${shown(raw)}`;
}

function bounds(min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
}

/**
 * A whole number: `value` (the option) if given, else the environment variable `name`, else `fallback`.
 * INVALID_CONFIG naming the option or variable unless it is a whole number within [min, max].
 */
export function intSetting(
  value: number | string | undefined,
  env: Env,
  name: string,
  fallback: number,
  range: SettingRange = {},
): number {
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const fromOption = value !== undefined;
  const raw = fromOption ? value : fromEnv(env, name);
  if (raw === undefined) return fallback;
  const n = typeof raw === 'number' ? raw : /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  throw new KeyStoreError(
    'INVALID_CONFIG',
    `${where(fromOption, name, raw, range)} must be a whole number ${bounds(min, max)}`,
    { storeType: range.storeType },
  );
}

/**
 * Milliseconds: `value` (the option, in ms) if given, else the environment variable `name` (a duration,
 * plain seconds by default: see duration.ts), else `fallbackMs`. INVALID_CONFIG naming the option or variable
 * unless the result is within [min, max] milliseconds (min default 1: a zero timeout is a typo).
 */
export function durationSetting(
  value: number | undefined,
  env: Env,
  name: string,
  fallbackMs: number,
  range: SettingRange = {},
): number {
  const min = range.min ?? 1;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const fromOption = value !== undefined;
  const raw = fromOption ? value : fromEnv(env, name);
  if (raw === undefined) return fallbackMs;
  const ms = typeof raw === 'number' ? raw : parseDuration(raw, name, range.storeType);
  if (Number.isSafeInteger(ms) && ms >= min && ms <= max) return ms;
  throw new KeyStoreError(
    'INVALID_CONFIG',
    `${where(fromOption, name, raw, range)} must be a duration ${bounds(min, max)} ms`,
    { storeType: range.storeType },
  );
}
