/**
 * The transport group on a small store that talks HTTP to a loopback key server with a bearer token
 * (test/helpers): its deadline cuts a trickling endpoint, NODE_DEBUG=http,net,tls in a real child process
 * prints no token, and wrappers keep its methods. test/fixtures/transport.fixture.ts runs the same group on
 * the same store with the deadline and the quiet agent switched off, and test/messages.test.ts checks that
 * the group fails it, naming why.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeyStoreConformance } from '../src/index.js';
import { startTricklingEndpoint } from '../src/transport/http.js';
import { createHttpKeyStore } from './helpers/http-key-store.mjs';
import { startKeyServer } from './helpers/key-server.js';

const token = `phlowExampleToken${randomBytes(12).toString('hex')}`;
let server: Awaited<ReturnType<typeof startKeyServer>>;
beforeAll(async () => {
  server = await startKeyServer(token);
});
afterAll(() => server.close());

runKeyStoreConformance({
  name: 'http example',
  // A generous deadline for the data groups: generating the RSA-4096 pair blocks the event loop for seconds.
  create: () => createHttpKeyStore({ url: server.address, token, timeoutMs: 120_000 }),
  cleanup: (store) => store.close?.(),
  transport: {
    createAgainst: (url, { timeoutMs }) => createHttpKeyStore({ url, token, timeoutMs }),
    deadlineSetting: 'PHLOW_EXAMPLE_DEADLINE_MS',
    nodeDebug: {
      child: join(import.meta.dirname, 'children', 'http-debug-run.mjs'),
      prepare: () => ({
        env: { EXAMPLE_KEY_SERVER: server.address, EXAMPLE_KEY_TOKEN: token },
        secrets: [token],
        forbidden: [/authorization/i],
      }),
    },
  },
});

describe('startTricklingEndpoint', () => {
  it('counts requests and bytes, and cuts a client that reads past maxBytes (counted as overran)', async () => {
    const endpoint = await startTricklingEndpoint('application/json', { maxBytes: 2 });
    try {
      const store = createHttpKeyStore({ url: endpoint.address, token, deadline: false });
      const error = await store.getPublicKey('a').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'UNAVAILABLE' });
      expect(endpoint.counts()).toMatchObject({ requests: 1, bytes: 3, overran: 1, closed: 0 });
      endpoint.reset();
      expect(endpoint.counts()).toEqual({ requests: 0, closed: 0, bytes: 0, overran: 0 });
      await store.close?.();
    } finally {
      await endpoint.close();
    }
  }, 30_000);
});
