/**
 * Helpers of core 1.1 this adapter uses, with fallbacks for an older core within the peer range: a namespace
 * import, because a named import of an export the installed core lacks would fail to link and take the whole
 * adapter down.
 *   assertPublicKeyPem: "is this really a public key"; the fallback refuses every PEM with a private label.
 *   storedKeyPair: redacts the private half of a returned record when printed; the fallback leaves it as is.
 */
import * as core from '@phlow/keys-core';
import { KeyStoreError, type StoredKeyPair } from '@phlow/keys-core';

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

const newer = core as Partial<{ assertPublicKeyPem: Check; storedKeyPair: <T>(record: T) => T }>;

export const assertPublicKeyPem: Check =
  ('assertPublicKeyPem' in newer && newer.assertPublicKeyPem) || fallback;

export const storedKeyPair: <T extends StoredKeyPair>(record: T) => T =
  ('storedKeyPair' in newer && newer.storedKeyPair) || ((record) => record);
