// Types of store.mjs (plain JavaScript, run by fleet children and the bench under plain Node).
import type { KeyStore } from '@phlow/keys-core';
export function openStore(kind?: string, env?: Record<string, string | undefined>): Promise<KeyStore>;
