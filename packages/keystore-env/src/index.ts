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

/** What the resolver loads for `PHLOW_KEY_STORE_TYPE=environment` (alias `env`). */
export default defineKeyStoreProvider<EnvKeyStoreOptions>({ type: 'environment', create: createEnvKeyStore });
