/**
 * KeyManager's settings that must fit together (the rotation check), and the default environment. The
 * parsing of each numeric setting (one rule for bad values: INVALID_CONFIG naming the variable) is the
 * adapter kit's (`intSetting`, `durationSetting` in adapter/settings.ts), shared with every store.
 */
import type { Env } from './contract.js';
import { KeyStoreError } from './errors.js';

/** `process.env` when it exists, so the same code runs where there is no process. */
export function defaultEnv(): Env {
  return typeof process === 'undefined' ? {} : process.env;
}

/** The rotation and cache settings that must fit together, in milliseconds. */
export interface RotationSettings {
  readonly graceMs: number;
  readonly delayMs: number;
  readonly ttlMs: number;
  readonly staleIfErrorMs: number;
}

/**
 * Refuses rotation settings that cannot work together, naming the variables to change.
 *
 * After a rotation a replica may keep signing with the previous key until the new one activates (delay),
 * and one whose cached version list predates the rotation until that list expires (TTL) or, while the
 * store is down, for the stale window past it. The previous key must verify that whole time, so the grace
 * period must cover delay + TTL + stale window. A grace of 0 (no overlap, for stores without versions)
 * only works with an immediate switch, delay 0.
 */
export function assertRotationSettings(s: RotationSettings): void {
  const seconds = (ms: number) => `${ms / 1000}`;
  if (s.graceMs === 0 && s.delayMs > 0) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `PHLOW_KEY_ROTATION_GRACE_SECONDS=0 (rotationGracePeriodMs) cannot work with PHLOW_KEY_ROTATION_DELAY_SECONDS=${seconds(s.delayMs)} (rotationDelayMs): with no grace period the previous key stops verifying at the rotation, while it keeps signing for the delay. Set PHLOW_KEY_ROTATION_DELAY_SECONDS=0, or a grace period of at least delay + cache TTL + stale window`,
    );
  }
  const needed = s.delayMs + s.ttlMs + s.staleIfErrorMs;
  if (s.graceMs > 0 && s.graceMs < needed) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `PHLOW_KEY_ROTATION_GRACE_SECONDS=${seconds(s.graceMs)} (rotationGracePeriodMs) is shorter than PHLOW_KEY_ROTATION_DELAY_SECONDS=${seconds(s.delayMs)} + PHLOW_KEY_CACHE_TTL_SECONDS=${seconds(s.ttlMs)} + PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS=${seconds(s.staleIfErrorMs)} = ${seconds(needed)} s: a replica may still sign with the previous key after it stops verifying. Raise the grace period to at least ${seconds(needed)} s or lower the others`,
    );
  }
}
