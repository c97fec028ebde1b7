// A JWK Set server in its own process for the remote key set's multi-process test. It publishes its keys at
// /jwks (max-age 3600, ETag), signs tokens with its newest key on request, and rotates when told to (IPC).
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { calculateJwkThumbprint, SignJWT } from 'jose';

const keys = [];
let version = 0;
let fetches = 0;
async function rotate() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint(jwk);
  keys.push({ kid, privateKey, jwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } });
  version++;
  return kid;
}
await rotate();

const server = createServer((req, res) => {
  if (req.url !== '/jwks') return res.writeHead(404).end();
  fetches++;
  const etag = `"v${version}"`;
  if (req.headers['if-none-match'] === etag) return res.writeHead(304, { etag }).end();
  res.writeHead(200, { 'content-type': 'application/jwk-set+json', etag, 'cache-control': 'max-age=3600' });
  res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
});
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));

process.on('message', async (message) => {
  if (message.type === 'rotate') {
    process.send({ type: 'rotated', kid: await rotate() });
  } else if (message.type === 'sign') {
    const { kid, privateKey } = keys[keys.length - 1];
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setIssuer('https://issuer.test')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    process.send({ type: 'token', token, kid });
  } else if (message.type === 'count') {
    process.send({ type: 'count', fetches });
  } else if (message.type === 'exit') {
    server.close();
    process.disconnect();
  }
});
