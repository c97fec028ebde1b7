/**
 * Token lifetimes: a number of seconds, or a string such as "90s", "5m", "1h", "1d" (the CLI's `--ttl`).
 * Bounded, so a typo cannot mint a token that lives for years.
 */
import { JwtError } from './errors.js';

/** Longest lifetime signJwt accepts: 1 day. Agent tokens are meant to be short-lived. */
export const MAX_EXPIRES_IN_SECONDS = 86_400;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const DURATION = /^(\d{1,6})\s*([smhd]?)$/;

/** Seconds of `value` (number = seconds); INVALID_ARGUMENT unless 1 s ≤ value ≤ MAX_EXPIRES_IN_SECONDS. */
export function parseExpiresIn(value: number | string): number {
  let seconds = Number.NaN;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    if (match) seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? Number.NaN);
  }
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_EXPIRES_IN_SECONDS) {
    throw new JwtError(
      'INVALID_ARGUMENT',
      `expiresIn must be whole seconds or a duration like "90s", "5m", "1h", between 1 s and ${MAX_EXPIRES_IN_SECONDS / 3600} h`,
    );
  }
  return seconds;
}
