// Types of node-debug.mjs.
import type { KeyStore } from '@phlow/keys-core';

export { exerciseStore, runWithNodeDebug } from '@phlow/keystore-testkit/transport';

/** A store with the optional methods the old exerciseStore called (kept for the adapters' existing types). */
export type ExercisedStore = KeyStore &
  Required<Pick<KeyStore, 'getKeyPair' | 'getKeyVersions' | 'listKeyIds' | 'close'>>;
