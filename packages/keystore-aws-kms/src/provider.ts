/** The provider the resolver loads for PHLOW_KEY_STORE_TYPE=aws_kms. */
import { checkedStore, defineKeyStoreProvider } from '@phlow/keys-core';
import { type AwsKmsKeyStore, type AwsKmsKeyStoreOptions, createAwsKmsKeyStore } from './store.js';

// Listing checks the credentials, the region and the endpoint at start-up.
const create = (options?: AwsKmsKeyStoreOptions): Promise<AwsKmsKeyStore> =>
  checkedStore(
    () => createAwsKmsKeyStore(options),
    (store) => store.listKeyIds(),
  );

export const awsKmsKeyStoreProvider = {
  ...defineKeyStoreProvider<AwsKmsKeyStoreOptions>({ type: 'aws_kms', create }),
  create,
};
