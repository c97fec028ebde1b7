// A JWKS server process for bench/jwks-server.bench.mjs: node:http on loopback serving 100 ids' JWK Set,
// either through createJwksNodeHandler (JWKS_SERVER=ours), through the web handler adapted with
// toNodeHandler (JWKS_SERVER=web, the former Node path), or as a fixed string of the same bytes
// (JWKS_SERVER=fixed, the anchor: what no JWKS endpoint can beat). Answers { type: 'cpu' } with its CPU time.
import { createServer } from 'node:http';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { createJwksHandler, createJwksNodeHandler, toNodeHandler } from '../dist/index.js';

const keys = new KeyManager({ store: createMemoryKeyStore(), env: {} });
for (let i = 0; i < 100; i++) await keys.generateKeyPair(`agent-${String(i).padStart(3, '0')}`);
const body = JSON.stringify(await keys.jwks());
const kind = process.env.JWKS_SERVER;
let handler;
if (kind === 'ours') handler = createJwksNodeHandler(keys);
else if (kind === 'web') handler = toNodeHandler(createJwksHandler(keys));
else {
  handler = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/jwk-set+json' });
    res.end(body);
  };
}
const server = createServer((req, res) => handler(req, res));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', port: server.address().port, bytes: Buffer.byteLength(body) });
});
process.on('message', (message) => {
  if (message.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send({ type: 'cpu', us: user + system });
  }
});
process.on('disconnect', () => process.exit(0));
