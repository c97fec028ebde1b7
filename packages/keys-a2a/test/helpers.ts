// Shared fixtures: a KeyManager on a memory store (the clock the tests move is @phlow/test-support/clock, the
// sample card test/sample-card.mjs, which the bench reads too).
import { createMemoryKeyStore, KeyManager, type KeyStore } from '@phlow/keys-core';

/** A KeyManager with a staged rotation delay of `delayMs` (default 10 min) and a 1 h grace period. */
export function manager(
  store: KeyStore = createMemoryKeyStore(),
  now: () => number = Date.now,
  delayMs = 600_000,
  extra: Record<string, unknown> = {},
): KeyManager {
  return new KeyManager({
    store,
    env: {},
    now,
    rotationGracePeriodMs: 3_600_000,
    rotationDelayMs: delayMs,
    cache: { refetchCooldownMs: 0 },
    ...extra,
  });
}
