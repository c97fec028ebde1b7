/**
 * @phlow/keystore-file: Phlow signing keys in one encrypted local file (`PHLOW_KEY_STORE_TYPE=encrypted_file`,
 * alias `file`). The default export is the provider the resolver loads.
 */
import { defineKeyStoreProvider } from '@phlow/keys-core';
import { STORE_TYPE } from './errors.js';
import type { FileKeyStoreOptions } from './options.js';
import { createFileKeyStore } from './store.js';

export type { ScryptParams } from './kdf.js';
export { DEFAULT_SCRYPT } from './kdf.js';
export { generateMasterKey } from './master-key.js';
export { isSharedFileMode } from './mode-warning.js';
export type { FileFormat, FileKeyStoreOptions } from './options.js';
export { DEFAULT_FILE } from './options.js';
export type { MasterKeyFileRekey, RekeyLeftover } from './rekey-files.js';
export {
  findRekeyLeftovers,
  finishInterruptedRekey,
  rekeyWithMasterKeyFile,
  stagedKeyPath,
} from './rekey-files.js';
export type { FileKeyStore, RekeyOptions } from './store.js';
export { createFileKeyStore };

/** What the resolver loads for `PHLOW_KEY_STORE_TYPE=encrypted_file`; also the default export. */
export const fileKeyStoreProvider = defineKeyStoreProvider<FileKeyStoreOptions>({
  type: STORE_TYPE,
  create: (options) => createFileKeyStore(options),
});

export default fileKeyStoreProvider;
