/**
 * The one list of KeyStore method names, and the one way to wrap a store (tracing, fault injection, named
 * failures). Three hand-written lists used to exist, and two of them lacked the signer methods while copying
 * `capabilities.signer`: KeyManager then refused the wrapped signer store (INVALID_CONFIG). A wrapper built
 * here has exactly the methods the store has, signer methods included, and the same `type` and `capabilities`.
 */
import type { KeyStore } from '../contract.js';

/** Every KeyStore method, required and optional, signer methods included (see contract.ts). */
export const KEYSTORE_METHODS = [
  'getPrivateKey',
  'getPublicKey',
  'storeKeyPair',
  'deleteKeyPair',
  'getKeyPair',
  'listKeyIds',
  'getKeyVersions',
  'close',
  'sign',
  'getPublicKeyVersions',
  'createKey',
  'rotateKey',
  'retireVersions',
] as const satisfies readonly (keyof KeyStore)[];

export type KeyStoreMethod = (typeof KEYSTORE_METHODS)[number];

/**
 * Called for every method call on the wrapper: `call()` runs the store's own method with `args` (bound to the
 * store) and returns its promise. Return what the caller should get. `close` goes through it too: a wrapper
 * that must not touch it returns `call()` for it.
 */
export type AroundCall = (
  method: KeyStoreMethod,
  args: readonly unknown[],
  call: () => Promise<unknown>,
) => Promise<unknown>;

/**
 * `store` seen through `around`: the same `type` and `capabilities` (the same object), and exactly the
 * methods `store` has (a method it lacks stays absent, so capability checks see the truth).
 */
export function wrapStore<S extends KeyStore>(store: S, around: AroundCall): S {
  const wrapped: Record<string, unknown> = { type: store.type, capabilities: store.capabilities };
  for (const method of KEYSTORE_METHODS) {
    const original = store[method] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (typeof original !== 'function') continue;
    wrapped[method] = (...args: unknown[]) => around(method, args, () => original.apply(store, args));
  }
  return wrapped as S;
}
