// Shared test fixtures: a memory store that counts its reads and can be taken down, and a KeyManager on a
// clock the test moves (@phlow/test-support/clock), so expiry and rotation grace are tested without waiting.
import { createMemoryKeyStore, KeyManager, type KeyStore, KeyStoreError } from '@phlow/keys-core';

export interface Counts {
  /** Every read method call (pair, halves, versions, list). */
  reads: number;
  lists: number;
  down: boolean;
  /** Most read calls in flight at once. */
  maxInFlight: number;
}

export function countingStore(store: KeyStore = createMemoryKeyStore()): { store: KeyStore; counts: Counts } {
  const counts: Counts = { reads: 0, lists: 0, down: false, maxInFlight: 0 };
  let inFlight = 0;
  const read =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>, isList = false) =>
    async (...args: A): Promise<R> => {
      counts.reads++;
      if (isList) counts.lists++;
      if (counts.down) throw new KeyStoreError('UNAVAILABLE', 'backend down', { storeType: 'memory' });
      inFlight++;
      counts.maxInFlight = Math.max(counts.maxInFlight, inFlight);
      try {
        // A real store answers later: let other reads start meanwhile, so parallelism is observable.
        await new Promise((resolve) => setImmediate(resolve));
        return await fn(...args);
      } finally {
        inFlight--;
      }
    };
  const counted: KeyStore = {
    ...store,
    getPrivateKey: read(store.getPrivateKey.bind(store)),
    getPublicKey: read(store.getPublicKey.bind(store)),
    getKeyPair: read(store.getKeyPair!.bind(store)),
    getKeyVersions: read(store.getKeyVersions!.bind(store)),
    listKeyIds: read(store.listKeyIds!.bind(store), true),
  };
  return { store: counted, counts };
}

/**
 * A KeyManager whose rotations switch signing at once (`rotationDelayMs: 0`), unless `delayMs` says otherwise:
 * most token tests are about which key verifies, not about the staged activation (tested on its own). A grace
 * period shorter than the default cache TTL + stale window gets a cache short enough to be a valid setting.
 * `refetchCooldownMs` is KeyManager's (the one refetch on an unknown kid, which verifyJwt uses).
 */
export function manager(
  store: KeyStore,
  now: () => number = Date.now,
  graceMs = 3_600_000,
  delayMs = 0,
  refetchCooldownMs?: number,
): KeyManager {
  const cache = {
    ...(graceMs < delayMs + 600_000 ? { ttlMs: (graceMs - delayMs) / 3, staleIfErrorMs: 0 } : {}),
    ...(refetchCooldownMs === undefined ? {} : { refetchCooldownMs }),
  };
  return new KeyManager({
    store,
    env: {},
    now,
    rotationGracePeriodMs: graceMs,
    rotationDelayMs: delayMs,
    cache,
  });
}
