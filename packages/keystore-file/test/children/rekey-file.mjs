// Child process: rekeys a key file whose master key lives in a file, with the crash-safe order of
// rekeyWithMasterKeyFile, `count` times (0: until killed), printing "rekeyed" after each.
// Usage: node rekey-file.mjs <key file> <master key file> <count>
import { createFileKeyStore, generateMasterKey, rekeyWithMasterKeyFile } from '@phlow/keystore-file';

const [path, masterKeyFile, count] = process.argv.slice(2);
const store = createFileKeyStore({ path, masterKeyFile, env: {}, onWarning: () => {} });
for (let i = 0; Number(count) === 0 || i < Number(count); i++) {
  await rekeyWithMasterKeyFile(store, masterKeyFile, generateMasterKey());
  process.stdout.write('rekeyed\n');
}
