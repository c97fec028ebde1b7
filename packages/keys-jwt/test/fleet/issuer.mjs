// A fleet issuer: one process that signs tokens with a KeyManager configured from its environment (every
// setting at its default unless the parent sets a PHLOW_KEY_* variable) and serves its JWK Set over real
// HTTP (node:http + createJwksNodeHandler, every option at its default unless FLEET_JWKS_REVALIDATE_SECONDS
// is set). Driven over IPC by the parent:
//   -> { type: 'sign', id }      <- { type: 'signed', token, kid, rechecks, jwksRequests }
//   -> { type: 'stats' }         <- { type: 'stats', rechecks, jwksRequests }
// and sends { type: 'ready', url } once listening. `rechecks` counts the signing rechecks started
// (KeyManager stats), `jwksRequests` the GETs of the JWK Set served.
import { createServer } from 'node:http';
import { KeyManager } from '@phlow/keys-core';
import { createJwksNodeHandler, signJwt } from '../../dist/index.js';
import { openStore } from './store.mjs';

const keys = new KeyManager({ store: await openStore(), env: process.env });
const revalidate = process.env.FLEET_JWKS_REVALIDATE_SECONDS;
const jwks = createJwksNodeHandler(
  keys,
  revalidate === undefined ? {} : { revalidateSeconds: Number(revalidate) },
);
let jwksRequests = 0;
const server = createServer((req, res) => {
  if (req.url === '/.well-known/jwks.json') {
    jwksRequests++;
    return jwks(req, res);
  }
  res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.send({ type: 'ready', url: `http://127.0.0.1:${port}/.well-known/jwks.json` });
});

process.on('message', async (message) => {
  const stats = () => ({ rechecks: keys.stats.rechecks, jwksRequests });
  if (message.type === 'stats') return process.send({ type: 'stats', ...stats() });
  if (message.type === 'sign') {
    try {
      const token = await signJwt(
        keys,
        message.id,
        { sub: 'fleet', aud: 'fleet-test' },
        { issuer: message.id },
      );
      const kid = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
      process.send({ type: 'signed', token, kid, ...stats() });
    } catch (error) {
      process.send({ type: 'signed', error: String(error?.code ?? error), ...stats() });
    }
  }
});
process.on('disconnect', () => {
  server.close();
  keys.close().finally(() => process.exit(0));
});
