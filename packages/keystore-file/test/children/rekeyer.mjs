// Child process: rekeys the file back and forth between two master keys until killed, printing the key now
// in use after each rekey resolves. Usage: node rekeyer.mjs <file> <key A> <key B>
import { createFileKeyStore } from '@phlow/keystore-file';

const [path, keyA, keyB] = process.argv.slice(2);
const store = createFileKeyStore({ path, masterKey: keyA, env: {} });
for (;;) {
  await store.rekey(keyB);
  process.stdout.write('B\n');
  await store.rekey(keyA);
  process.stdout.write('A\n');
}
