// Child process: writes `count` key pairs `<prefix>-<i>` one after another and prints each id once its write
// has resolved (acknowledged). Usage: node writer.mjs <file> <master key> <prefix> <count>
import { createFileKeyStore } from '@phlow/keystore-file';

const [path, masterKey, prefix, count] = process.argv.slice(2);
const store = createFileKeyStore({ path, masterKey, env: {} });
for (let i = 0; i < Number(count); i++) {
  const id = `${prefix}-${i}`;
  await store.storeKeyPair(id, `PRIVATE ${id}`, `PUBLIC ${id}`);
  process.stdout.write(`${id}\n`);
}
