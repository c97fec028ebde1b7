// Types of http-key-store.mjs.
import type { KeyStore } from '@phlow/keys-core';

export function createHttpKeyStore(options: {
  url: string;
  token: string;
  timeoutMs?: number;
  quiet?: boolean;
  deadline?: boolean;
}): KeyStore;
