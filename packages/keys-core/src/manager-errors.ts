/**
 * The errors KeyManager and its parts (key cache, rotation) raise themselves, worded once: each says what
 * to do next and never echoes anything a caller could not already see (no kid from a token, no key).
 */
import { isKeyAlgorithm, type KeyAlgorithm } from './algorithms.js';
import { isSignerStore, type KeyStore } from './contract.js';
import { KeyStoreError } from './errors.js';

export function notFound(store: KeyStore, keyId: string, hint = ''): KeyStoreError {
  return new KeyStoreError(
    'NOT_FOUND',
    `no key pair "${keyId}" in this store: check that the key id matches your agent id and that the store is the one you expect.${hint}`,
    { storeType: store.type, keyId },
  );
}

export function alreadyExists(store: KeyStore, keyId: string): KeyStoreError {
  return new KeyStoreError(
    'CONFLICT',
    `key "${keyId}" already exists: rotate it (rotateKeyPair) to replace it safely, or pass { overwrite: true }`,
    { storeType: store.type, keyId },
  );
}

export function noPrivateKey(
  store: KeyStore,
  keyId: string,
  method: string,
  instead = 'getPublicKeyPair',
): KeyStoreError {
  return new KeyStoreError(
    'UNSUPPORTED',
    `${method} hands out a private key, and the keys of ${store.type} never leave the backend: use ${instead}("${keyId}") for the public half, sign("${keyId}", data) to sign`,
    { storeType: store.type, keyId },
  );
}

export function assertWritable(store: KeyStore, what: string): void {
  if (!store.capabilities.write) {
    throw new KeyStoreError(
      'UNSUPPORTED',
      `this store is read-only and cannot ${what}: use a writable store such as encrypted_file, vault or aws`,
      { storeType: store.type },
    );
  }
}

export function changedSinceRead(store: KeyStore, keyId: string): KeyStoreError {
  return new KeyStoreError(
    'CONFLICT',
    `key "${keyId}" changed since it was read (another rotation?): check \`phlow-keys list\` and retry`,
    { storeType: store.type, keyId },
  );
}

/** `algorithm` if it names one KeyManager generates keys for; UNSUPPORTED otherwise. */
export function checkedAlgorithm(algorithm: unknown): KeyAlgorithm {
  if (isKeyAlgorithm(algorithm)) return algorithm;
  throw new KeyStoreError(
    'UNSUPPORTED',
    'algorithm must be "EdDSA" (Ed25519, the default), "ES256" (P-256) or "RS256" (RSA-2048)',
  );
}

/** No verifying key has the kid. The kid is not echoed: it comes from a token, that is, from anyone. */
export function unknownKid(store: KeyStore, keyId: string): KeyStoreError {
  return new KeyStoreError(
    'NOT_FOUND',
    `no verification key of "${keyId}" has that kid: the key may be retired (past its grace period), or the token was signed by another id or store`,
    { storeType: store.type, keyId },
  );
}

/** A store that declares `signer` must have the signer methods. */
export function assertSignerContract(store: KeyStore): void {
  if (store.capabilities.signer === true && !isSignerStore(store)) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      'the store declares capabilities.signer but lacks sign, getPublicKeyVersions, createKey, rotateKey or retireVersions: the adapter breaks the KeyStore contract 1.1',
      { storeType: store.type },
    );
  }
}
