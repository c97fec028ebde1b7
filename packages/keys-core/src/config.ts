/**
 * Reading numeric settings from options or environment variables, with one rule for bad values: an
 * INVALID_CONFIG error that names the variable and the accepted form.
 */
import type { Env } from './contract.js';
import { KeyStoreError } from './errors.js';

/** `process.env` when it exists, so the same code runs where there is no process. */
export function defaultEnv(): Env {
  return typeof process === 'undefined' ? {} : process.env;
}

/**
 * The option if given, else the env variable parsed as a non-negative number of seconds (converted to ms),
 * else the default.
 */
export function durationMs(
  option: number | undefined,
  env: Env,
  variable: string,
  defaultMs: number,
): number {
  if (option !== undefined) {
    if (!Number.isFinite(option) || option < 0) {
      throw new KeyStoreError(
        'INVALID_CONFIG',
        `${variable.replace(/^PHLOW_/, '').toLowerCase()} must be a non-negative number of milliseconds, got ${option}`,
      );
    }
    return option;
  }
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return defaultMs;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `${variable}=${JSON.stringify(raw)} is not a number of seconds (for example ${variable}=300)`,
    );
  }
  return seconds * 1000;
}

/** The option if given, else the env variable as a positive whole number, else the default. */
export function positiveInt(
  option: number | undefined,
  env: Env,
  variable: string,
  defaultValue: number,
): number {
  const raw = option ?? env[variable];
  if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return defaultValue;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `${variable}=${JSON.stringify(String(raw))} must be a whole number of at least 1`,
    );
  }
  return n;
}
