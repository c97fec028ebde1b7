/**
 * Where a rekey stages the new master key of master key file F: `F.new` (step 2 of rekey-files.ts). Its own
 * file because both the store (which falls back to it after an interrupted rekey) and the rekey steps need
 * it, and the rekey steps also need the store: here, neither imports the other for it.
 */

/** Where a rekey stages the new key of master key file `masterKeyFile`. */
export const stagedKeyPath = (masterKeyFile: string) => `${masterKeyFile}.new`;
