// The work `phlow-keys jwks` has to do, without phlow-keys: the floor that the start-up benchmark
// (startup.bench.mjs) compares `jwks` with. It reads the master key file and the key file, derives a subkey
// with HMAC-SHA-256, runs XChaCha20-Poly1305 (@noble/ciphers, as the file store does) over the key file's
// bytes, parses JSON, parses one public key, exports its JWK with its RFC 7638 thumbprint and prints the set.
// The key file is sealed again rather than opened (its layout is the file store's business; the cost is the
// same), and the public key comes from FLOOR_PUBLIC_PEM. Usage: node jwks-floor.mjs <master key> <key file>
import { createHash, createHmac, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
// @noble/ciphers as the file store has it (a dependency of @phlow/keystore-file, not of the CLI), by path: a
// package lookup would add its own cost to the floor.
import { xchacha20poly1305 } from '../../../packages/keystore-file/node_modules/@noble/ciphers/chacha.js';

const [masterFile, keyFile] = process.argv.slice(2);
const master = Buffer.from(
  readFileSync(masterFile, 'utf8')
    .trim()
    .replace(/^base64:/, ''),
  'base64',
);
const file = readFileSync(keyFile);
const subkey = createHmac('sha256', master).update('phlow-keys jwks floor').digest();
const sealed = xchacha20poly1305(subkey, file.subarray(0, 24)).encrypt(file.subarray(24));
const entries = JSON.parse(
  JSON.stringify({ 'bench-agent': { public_key: process.env.FLOOR_PUBLIC_PEM, n: sealed.length } }),
);
const keys = Object.values(entries).map(({ public_key }) => {
  const jwk = createPublicKey(public_key).export({ format: 'jwk' });
  const members = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return { ...jwk, kid: createHash('sha256').update(members).digest('base64url'), alg: 'EdDSA', use: 'sig' };
});
process.stdout.write(`${JSON.stringify({ keys }, null, 2)}\n`);
