// A small key store over HTTP, for the testkit's own test of the transport group (test/transport.test.ts)
// and its NODE_DEBUG child: it talks to the loopback key server of test/helpers/key-server.ts with a bearer token.
// Plain JavaScript, so the child process runs it with Node alone. `quiet: false` or `deadline: false` make the
// store commit the two transport defects the group exists to catch (test/fixtures/transport.fixture.ts).
import { Agent, request } from 'node:http';
import { assertValidKeyId, KeyStoreError } from '@phlow/keys-core';

const TYPE = 'http_example';

/** An agent that drops the request headers (the token among them) from what Node logs under NODE_DEBUG. */
function quietAgent() {
  const agent = new Agent({ keepAlive: true });
  const addRequest = agent.addRequest;
  agent.addRequest = function (req, options) {
    const { headers: _headers, ...rest } = options ?? {};
    addRequest.call(this, req, rest);
  };
  return agent;
}

/**
 * @param {{ url: string, token: string, timeoutMs?: number, quiet?: boolean, deadline?: boolean }} options
 * @returns {import('@phlow/keys-core').KeyStore}
 */
export function createHttpKeyStore({ url, token, timeoutMs = 10_000, quiet = true, deadline = true }) {
  const agent = quiet ? quietAgent() : new Agent({ keepAlive: true });
  const call = (method, keyId, body) =>
    new Promise((resolve, reject) => {
      const target = new URL(`/keys/${encodeURIComponent(keyId)}`, url);
      const signal = deadline ? AbortSignal.timeout(timeoutMs) : undefined;
      const req = request(
        target,
        {
          method,
          agent,
          signal,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200)
              return reject(
                new KeyStoreError('ACCESS_DENIED', `[phlow] [${TYPE}] HTTP ${res.statusCode}`, {
                  storeType: TYPE,
                }),
              );
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          });
          res.on('error', fail);
        },
      );
      function fail(cause) {
        reject(
          new KeyStoreError(
            'UNAVAILABLE',
            `[phlow] [${TYPE}] ${method} ${target.origin} did not complete within PHLOW_EXAMPLE_DEADLINE_MS (${timeoutMs} ms): check the server`,
            { storeType: TYPE, cause },
          ),
        );
      }
      req.on('error', fail);
      req.end(body);
    });
  return {
    type: TYPE,
    capabilities: { write: true, readPair: false, list: false, versions: false },
    async getPrivateKey(keyId) {
      return (await call('GET', assertValidKeyId(keyId, TYPE)))?.privateKey ?? null;
    },
    async getPublicKey(keyId) {
      return (await call('GET', assertValidKeyId(keyId, TYPE)))?.publicKey ?? null;
    },
    async storeKeyPair(keyId, privateKey, publicKey) {
      await call('PUT', assertValidKeyId(keyId, TYPE), JSON.stringify({ privateKey, publicKey }));
    },
    async deleteKeyPair(keyId) {
      await call('DELETE', assertValidKeyId(keyId, TYPE));
    },
    async close() {
      agent.destroy();
    },
  };
}
