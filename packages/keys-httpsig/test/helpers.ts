// Test helpers: a memory KeyManager with an Ed25519 agent key, and a real HTTP server for its directory that
// counts the requests it receives.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { createDirectoryHandler, toNodeListener } from '../src/index.js';

export async function agentManager(
  keyId = 'agent',
  options: ConstructorParameters<typeof KeyManager>[0] | undefined = undefined,
) {
  const manager = new KeyManager(options ?? { store: createMemoryKeyStore() });
  await manager.generateKeyPair(keyId);
  return manager;
}

export interface TestServer {
  readonly origin: string;
  requests: number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 answering with `listener`, counting requests. */
export async function serve(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    listener(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    get requests() {
      return requests;
    },
    set requests(n: number) {
      requests = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The directory of `keyIds` of `manager`, served over HTTP. */
export async function serveDirectory(
  manager: KeyManager,
  keyIds: readonly string[] = ['agent'],
  maxAgeSeconds = 300,
) {
  let origin = '';
  const handler = createDirectoryHandler(manager, { keyIds, maxAgeSeconds });
  const server = await serve((req, res) => toNodeListener(handler, origin)(req, res));
  origin = server.origin;
  return server;
}

/** The directory policy of tests: the server's loopback origin allowed. */
export const loopbackPolicy = (origin: string, more: Record<string, unknown> = {}) => ({
  allowedOrigins: [origin],
  allowInsecureLoopback: true,
  allowPrivateAddresses: true,
  ...more,
});
