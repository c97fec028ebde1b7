// What the adapters' deadline tests (test/deadline.test.ts) do with a server that trickles its answer one byte
// a second: switch the trickle on around some calls, and run KeyManager callers against it. The machinery only:
// each test asserts on what the calls returned.
import { KeyManager, type KeyManagerEvent, type KeyStore } from '@phlow/keys-core';

/** What `promise` rejected with, or `undefined` if it resolved. */
export const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

/** Anything in front of the real server that can be switched to trickling. */
export interface Trickler {
  trickle(on: boolean): void;
}

/** Runs `fn` while `server` trickles; the trickle stops afterwards even when `fn` throws. */
export async function whileTrickling<T>(server: Trickler, fn: () => Promise<T>): Promise<T> {
  server.trickle(true);
  try {
    return await fn();
  } finally {
    server.trickle(false);
  }
}

type KeyPair = Awaited<ReturnType<KeyManager['getKeyPair']>>;

export interface TrickledCallers {
  /** The caching KeyManager's first read, before the trickle (it fills the cache). */
  readonly warm: KeyPair;
  /** What five callers of the same id got from a KeyManager with nothing cached, sharing one read. */
  readonly cold: unknown[];
  /** What five callers got from the caching KeyManager past its TTL (1 s; stale-if-error 10 min). */
  readonly served: KeyPair[];
  /** The caching KeyManager's first `stale` event. */
  readonly stale: Extract<KeyManagerEvent, { type: 'stale' }> | undefined;
}

/**
 * Reads the stored `keyId` through two KeyManagers over fresh stores from `trickled()` (stores behind `server`)
 * while `server` trickles: one with nothing cached, one whose cache was filled before and whose clock then
 * moves past the TTL. The deadline ends every read; the test says what each caller must have got.
 */
export async function callersDuringTrickle(
  server: Trickler,
  trickled: () => KeyStore,
  keyId: string,
): Promise<TrickledCallers> {
  let now = Date.now();
  const events: KeyManagerEvent[] = [];
  const cached = new KeyManager({
    store: trickled(),
    env: {},
    cache: { ttlMs: 1000, staleIfErrorMs: 600_000 },
    now: () => now,
    onEvent: (e) => events.push(e),
  });
  const warm = await cached.getKeyPair(keyId);
  const cold = new KeyManager({ store: trickled(), env: {} });
  return whileTrickling(server, async () => {
    const coldErrors = await Promise.all(Array.from({ length: 5 }, () => failureOf(cold.getKeyPair(keyId))));
    now += 2000;
    const served = await Promise.all(Array.from({ length: 5 }, () => cached.getKeyPair(keyId)));
    const stale = events.find((e): e is Extract<KeyManagerEvent, { type: 'stale' }> => e.type === 'stale');
    return { warm, cold: coldErrors, served, stale };
  });
}
