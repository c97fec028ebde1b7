/**
 * THE one duration grammar of phlow-keys (settings, the CLI's `--delay`/`--ttl`, keys-jwt's `expiresIn`):
 * a plain number of seconds (`90`, `1.5`) or a number with a unit: `500ms`, `30s`, `15m`, `24h`, `7d`.
 * Parsed to whole milliseconds. One grammar, so that a value copied from one place means the same in another.
 */
import { KeyStoreError } from '../errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d{1,15}(?:\.\d{1,3})?)\s*(ms|s|m|h|d)?$/;

/** A value as an error message may show it: short values quoted, long ones (a pasted secret?) only counted. */
export function shown(value: unknown): string {
  const text = String(value);
  return text.length <= 32 ? JSON.stringify(text) : `(a value of ${text.length} characters)`;
}

/**
 * Milliseconds of `text`: `30s`, `15m`, `24h`, `7d`, `500ms`, or plain seconds. INVALID_CONFIG naming `name`
 * (the variable or option the text came from) when it is not a duration.
 */
export function parseDuration(text: string, name = 'duration', storeType?: string): number {
  const match = typeof text === 'string' ? DURATION.exec(text.trim()) : null;
  const ms = match ? Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] as number)) : Number.NaN;
  if (!Number.isSafeInteger(ms)) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `${name}=${shown(text)} is not a duration: use seconds (30) or a number with a unit: 500ms, 30s, 15m, 24h, 7d`,
      { storeType },
    );
  }
  return ms;
}
