import { defineKeyStoreProvider } from '@phlow/keys-core';
import { createEnvKeyStore, type EnvKeyStoreOptions } from './env-store.js';

export { decodePem } from './decode.js';
export {
  createEnvKeyStore,
  type EnvKeyStoreOptions,
  PRIVATE_PREFIX,
  PUBLIC_PREFIX,
  upperSnake,
} from './env-store.js';

/** What the resolver loads for `PHLOW_KEY_STORE_TYPE=environment` (alias `env`); also the default export. */
export const envKeyStoreProvider = defineKeyStoreProvider<EnvKeyStoreOptions>({
  type: 'environment',
  create: createEnvKeyStore,
});
export default envKeyStoreProvider;
