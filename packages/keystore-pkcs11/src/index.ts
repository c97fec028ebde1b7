/**
 * @phlow/keystore-pkcs11: Phlow signing keys that never leave a PKCS#11 token (an HSM, SoftHSM2): Ed25519,
 * generated on the token, sensitive and non-extractable, signing with CKM_EDDSA.
 */
export type { Pkcs11KeyStoreOptions } from './options.js';
export { pkcs11KeyStoreProvider as default, pkcs11KeyStoreProvider } from './provider.js';
export { type CreatePkcs11KeyOptions, createPkcs11KeyStore, type Pkcs11KeyStore } from './store.js';
export type { TokenAlgorithm as Pkcs11Algorithm } from './token.js';
