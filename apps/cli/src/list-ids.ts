/**
 * Every key id of a store, or a clear UNSUPPORTED error naming the way out when the store cannot list.
 */
import { type KeyStore, KeyStoreError } from '@phlow/keys-core';

export async function listIds(store: KeyStore, what: string): Promise<string[]> {
  if (!store.capabilities.list || !store.listKeyIds) {
    throw new KeyStoreError('UNSUPPORTED', `this store cannot list its keys: ${what}`, {
      storeType: store.type,
    });
  }
  return store.listKeyIds();
}
