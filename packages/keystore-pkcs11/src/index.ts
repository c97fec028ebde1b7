/**
 * @phlow/keystore-pkcs11: Phlow signing keys that never leave a PKCS#11 token (an HSM, SoftHSM2): Ed25519
 * (CKM_EDDSA) or P-256 (ES256, CKM_ECDSA), generated on the token, sensitive and non-extractable.
 */
export type { Pkcs11KeyStoreOptions } from './options.js';
export { pkcs11KeyStoreProvider as default, pkcs11KeyStoreProvider } from './provider.js';
export { type CreatePkcs11KeyOptions, createPkcs11KeyStore, type Pkcs11KeyStore } from './store.js';
export type { TokenAlgorithm as Pkcs11Algorithm } from './type.js';
