// Child process: with umask 000, creates a key file in new nested directories (with the backup option, so a
// .bak is written too) and prints the resulting modes as JSON. Usage: node umask.mjs <dir> <master key>
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createFileKeyStore } from '@phlow/keystore-file';

process.umask(0);
const [dir, masterKey] = process.argv.slice(2);
const path = join(dir, 'a', 'b', 'keys.enc');
const store = createFileKeyStore({ path, masterKey, backup: true, env: {} });
await store.storeKeyPair('one', 'PRIVATE one', 'PUBLIC one');
await store.storeKeyPair('two', 'PRIVATE two', 'PUBLIC two');
const mode = (p) => (statSync(p).mode & 0o777).toString(8);
console.log(
  JSON.stringify({
    file: mode(path),
    backup: mode(`${path}.bak`),
    a: mode(join(dir, 'a')),
    b: mode(join(dir, 'a', 'b')),
  }),
);
