/**
 * The provider the resolver loads for `PHLOW_KEY_STORE_TYPE=aws`: every option comes from the environment
 * when not given.
 */
import { defineKeyStoreProvider } from '@phlow/keys-core';
import type { AwsKeyStoreOptions } from './options.js';
import { createAwsKeyStore } from './store.js';

export const awsKeyStoreProvider = defineKeyStoreProvider<AwsKeyStoreOptions>({
  type: 'aws',
  create: (options) => createAwsKeyStore(options),
});
