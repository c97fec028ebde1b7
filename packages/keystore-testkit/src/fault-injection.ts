/**
 * A wrapper that makes any KeyStore slow or failing on demand, for users' own tests of timeouts, retries,
 * stale-if-error caching and outages. It changes nothing about the wrapped store's data.
 */
import { type KeyStore, KeyStoreError, type KeyStoreErrorCode } from '@phlow/keys-core';

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

const METHODS = [
  'getPrivateKey',
  'getPublicKey',
  'storeKeyPair',
  'deleteKeyPair',
  'getKeyPair',
  'listKeyIds',
  'getKeyVersions',
] as const;

export function withFaults(store: KeyStore): FaultyKeyStore {
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

  const wrapped: Record<string, unknown> = {
    type: store.type,
    capabilities: store.capabilities,
    faults,
    close: store.close?.bind(store),
  };
  for (const method of METHODS) {
    const original = store[method] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (!original) continue;
    wrapped[method] = async (...args: unknown[]) => {
      faults.calls[method] = (faults.calls[method] ?? 0) + 1;
      if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
      if (faults.outage) throw injected(store.type, faults.outageCode, method);
      if (pending.count > 0) {
        pending.count--;
        throw injected(store.type, pending.code, method);
      }
      return original.apply(store, args);
    };
  }
  return wrapped as unknown as FaultyKeyStore;
}

function injected(storeType: string, code: KeyStoreErrorCode, method: string): KeyStoreError {
  return new KeyStoreError(code, `injected fault (${code}) in ${method}`, { storeType });
}
