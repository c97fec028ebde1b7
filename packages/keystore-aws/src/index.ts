/** @phlow/keystore-aws: Phlow agent keys in AWS Secrets Manager. */

export { type AwsKeyStoreOptions, DEFAULT_PREFIX } from './options.js';
export { awsKeyStoreProvider, awsKeyStoreProvider as default } from './provider.js';
export { type AwsKeyStore, createAwsKeyStore } from './store.js';
