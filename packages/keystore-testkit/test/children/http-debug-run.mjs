// Child process of the transport group's NODE_DEBUG check for the example HTTP store (test/transport.test.ts):
// builds the store from the environment and exercises it. argv[2] is the key id the suite chose.
import { exerciseStore } from '@phlow/keystore-testkit/transport';
import { createHttpKeyStore } from '../helpers/http-key-store.mjs';

const store = createHttpKeyStore({
  url: process.env.EXAMPLE_KEY_SERVER ?? '',
  token: process.env.EXAMPLE_KEY_TOKEN ?? '',
  quiet: process.env.EXAMPLE_QUIET !== 'false',
});
await exerciseStore(store, process.argv[2] ?? '');
