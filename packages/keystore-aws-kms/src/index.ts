/**
 * @phlow/keystore-aws-kms: Phlow signing keys that never leave AWS KMS (ECC_NIST_EDWARDS25519, signing with
 * ED25519_SHA_512 / MessageType RAW), one KMS key per version behind `alias/phlow/<id>`.
 */
export { awsKmsKeyStoreProvider as default, awsKmsKeyStoreProvider } from './provider.js';
export {
  type AwsKmsKeyStore,
  type AwsKmsKeyStoreOptions,
  type CreateKmsKeyOptions,
  createAwsKmsKeyStore,
} from './store.js';
