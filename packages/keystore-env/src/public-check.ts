/**
 * The "is this really a public key" check of core (`assertPublicKeyPem`, core 1.1), with a fallback for an
 * older core within the peer range: a namespace import, because a named import of an export the installed
 * core lacks would fail to link and take the whole adapter down.
 */
import * as core from '@phlow/keys-core';
import { KeyStoreError } from '@phlow/keys-core';

type Check = (pem: unknown, keyId?: string, options?: { storeType?: string; hint?: string }) => string;

/** Older cores: refuse at least every PEM with a private label. */
const fallback: Check = (pem, keyId, options = {}) => {
  if (typeof pem === 'string' && !/PRIVATE KEY/i.test(pem)) return pem;
  throw new KeyStoreError(
    'INVALID_KEY',
    `the public key of "${keyId ?? '?'}" is a private key or holds one, so it is refused and never printed: ${options.hint ?? 'pass the public half'}`,
    { storeType: options.storeType, keyId },
  );
};

export const assertPublicKeyPem: Check =
  (core as Partial<{ assertPublicKeyPem: Check }>).assertPublicKeyPem ?? fallback;
