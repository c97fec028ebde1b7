/**
 * For a provider's `create`: run the store's start-up check (a login, a listing) so that a wrong setting fails
 * at start-up rather than at the first signature, and close the store when the check fails, so that a failed
 * start leaves no connection, session or token handle open behind it.
 */
import type { KeyStore } from './contract.js';

/**
 * Makes a store with `make` and resolves to it once `check(store)` succeeds; otherwise closes it and rejects
 * with the check's error. A bad option that `make` throws on is a rejection too, as from any async `create`.
 */
export async function checkedStore<S extends KeyStore>(
  make: () => S,
  check: (store: S) => Promise<unknown>,
): Promise<S> {
  const store = make();
  try {
    await check(store);
  } catch (error) {
    // The check's error says what to fix; a failure to close on top of it would only hide that.
    try {
      await store.close?.();
    } catch {
      // Also a close that throws synchronously, or returns no promise, from an adapter in plain JavaScript.
    }
    throw error;
  }
  return store;
}
