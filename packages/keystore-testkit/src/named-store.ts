/**
 * Failure messages that say which call failed: `getPrivateKey("ct-pair-…")`, with the id escaped as a JSON
 * string, so a tab, a newline or a NUL in a bad id shows as `\t`, `\n`, `\u0000` instead of breaking the report.
 * A PEM argument is never shown (it is key material, even in a test report): it prints as `<pem>`.
 */
import type { KeyStore } from '@phlow/keys-core';
import { wrapStore } from '@phlow/keys-core/adapter';

/** `method("id", …)` for a report. */
export function label(method: string, ...args: unknown[]): string {
  const shown = args.map((arg) =>
    typeof arg === 'string' && arg.includes('-----BEGIN') ? '<pem>' : (JSON.stringify(arg) ?? String(arg)),
  );
  return `${method}(${shown.join(', ')})`;
}

/**
 * The same store, but a call that rejects rejects with an Error naming the call and what it threw (the
 * original error is its `cause`). For calls expected to succeed; expected failures are checked on the store.
 * Built on core's `wrapStore`: every method and capability of the store, signer methods included.
 */
export function named<S extends KeyStore>(store: S): S {
  return wrapStore(store, async (method, args, call) => {
    try {
      return await call();
    } catch (error) {
      throw new Error(`${label(method, ...args)} failed: ${describeError(error)}`, { cause: error });
    }
  });
}

export function describeError(error: unknown): string {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const e = error as { name?: unknown; code?: unknown; message?: unknown };
    return `${String(e.name ?? 'Error')}${typeof e.code === 'string' ? ` ${e.code}` : ''}: ${String(e.message)}`;
  }
  return `a thrown ${typeof error} (not an Error)`;
}
