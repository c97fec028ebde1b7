/** The provider the resolver loads for PHLOW_KEY_STORE_TYPE=aws_kms. */
import { defineKeyStoreProvider } from '@phlow/keys-core';
import { type AwsKmsKeyStore, type AwsKmsKeyStoreOptions, createAwsKmsKeyStore } from './store.js';

async function create(options?: AwsKmsKeyStoreOptions): Promise<AwsKmsKeyStore> {
  const store = createAwsKmsKeyStore(options);
  try {
    await store.listKeyIds(); // credentials, region and endpoint checked at start-up
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export const awsKmsKeyStoreProvider = {
  ...defineKeyStoreProvider<AwsKmsKeyStoreOptions>({ type: 'aws_kms', create }),
  create,
};
