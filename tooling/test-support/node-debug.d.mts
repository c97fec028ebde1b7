// Types of node-debug.mjs.
import type { KeyStore } from '@phlow/keys-core';

export function runWithNodeDebug(
  child: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<{ stdout: string; stderr: string }>;

/** A store with the optional methods exerciseStore calls. */
export type ExercisedStore = KeyStore &
  Required<Pick<KeyStore, 'getKeyPair' | 'getKeyVersions' | 'listKeyIds' | 'close'>>;

export function exerciseStore(store: ExercisedStore, keyId: string): Promise<void>;
