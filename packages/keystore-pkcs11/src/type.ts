/**
 * What the other files of this package all name: the store type (`PHLOW_KEY_STORE_TYPE=pkcs11`, in every
 * error) and the algorithms keys are made for. A file of its own that imports nothing, so that errors.ts,
 * options.ts and token.ts can name them without importing each other (they formed an import cycle).
 */
export const TYPE = 'pkcs11';

/** The algorithms keys are made for: Ed25519 (EdDSA, the default) and P-256 (ES256). */
export type TokenAlgorithm = 'EdDSA' | 'ES256';
