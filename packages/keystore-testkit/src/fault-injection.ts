/**
 * A wrapper that makes any KeyStore slow or failing on demand, for users' own tests of timeouts, retries,
 * stale-if-error caching and outages. It changes nothing about the wrapped store's data.
 */
import { type KeyStore, KeyStoreError, type KeyStoreErrorCode } from '@phlow/keys-core';
import { wrapStore } from '@phlow/keys-core/adapter';

export interface FaultController {
  /** Added before every call. Default: 0. */
  latencyMs: number;
  /** While true, every call fails with `outageCode` (default UNAVAILABLE), like a backend that is down. */
  outage: boolean;
  outageCode: KeyStoreErrorCode;
  /** Makes the next `count` calls fail with `code`. */
  failNext(count: number, code?: KeyStoreErrorCode): void;
  /** Calls per method name, counted before any fault is applied. */
  readonly calls: Record<string, number>;
  reset(): void;
}

export interface FaultyKeyStore extends KeyStore {
  readonly faults: FaultController;
}

/**
 * `store` with `faults` to make it slow or failing. Built on core's `wrapStore`, so it keeps exactly the
 * store's methods (signer methods included) and capabilities: KeyManager works over it as over the store.
 * `close` is passed through untouched and uncounted.
 */
export function withFaults<S extends KeyStore>(store: S): S & FaultyKeyStore {
  let pending: { count: number; code: KeyStoreErrorCode } = { count: 0, code: 'UNAVAILABLE' };
  const faults: FaultController = {
    latencyMs: 0,
    outage: false,
    outageCode: 'UNAVAILABLE',
    calls: {},
    failNext(count, code = 'UNAVAILABLE') {
      pending = { count, code };
    },
    reset() {
      faults.latencyMs = 0;
      faults.outage = false;
      faults.outageCode = 'UNAVAILABLE';
      pending = { count: 0, code: 'UNAVAILABLE' };
      for (const k of Object.keys(faults.calls)) delete faults.calls[k];
    },
  };

  const wrapped = wrapStore(store, async (method, _args, call) => {
    if (method === 'close') return call();
    faults.calls[method] = (faults.calls[method] ?? 0) + 1;
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.outage) throw injected(store.type, faults.outageCode, method);
    if (pending.count > 0) {
      pending.count--;
      throw injected(store.type, pending.code, method);
    }
    return call();
  });
  return Object.assign(wrapped, { faults });
}

function injected(storeType: string, code: KeyStoreErrorCode, method: string): KeyStoreError {
  return new KeyStoreError(code, `injected fault (${code}) in ${method}`, { storeType });
}
