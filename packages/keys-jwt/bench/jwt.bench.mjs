// Benchmarks for @phlow/keys-jwt (`pnpm bench`, after a build). Prints tables; asserts nothing.
//  1. signJwt and verifyJwt per second next to jose alone with a pre-imported key (goal: within 1.2x), for
//     EdDSA, ES256 and RS256, in one run. JWT_BENCH_ALGS=ES256 (comma-separated) runs only those.
//  2. The JWKS handler next to the naive `Response.json(await keys.jwks())`: requests per second and store
//     reads per 1,000 requests, 100 ids in the memory store behind a counting wrapper.
//  3. The same with 100 ids in the local Vault (when VAULT_ADDR is set, as with-services.sh does), counting
//     the HTTP requests that reach Vault through a proxy.
import { formatNs, printTarget } from '@phlow/bench';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { importPKCS8, importSPKI, jwtVerify, SignJWT } from 'jose';
import { createJwksHandler, signJwt, verifyJwt } from '../dist/index.js';

/**
 * Times `a` and `b` in alternating batches (a, b, a, b, ...) and returns each one's median time per call and
 * the median of the per-pair ratios b/a. On a shared, loaded machine load swings by 2x within seconds;
 * pairing puts both sides of each ratio under the same load, which separate `measure` runs cannot. Each
 * batch keeps `CONCURRENCY` calls in flight, as a server verifying tokens of many requests does: jose's
 * WebCrypto calls run on libuv's thread pool, and one call at a time would measure thread hand-off latency
 * rather than what a process gets through per second.
 */
const CONCURRENCY = 8;
async function paired(a, b, batch, samples = 100) {
  const time = async (fn) => {
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = 0; i < batch; i++) await fn();
      }),
    );
    return Number(process.hrtime.bigint() - start) / (batch * CONCURRENCY);
  };
  for (let i = 0; i < 10; i++) await Promise.all([time(a), time(b)]);
  const as = [];
  const bs = [];
  const ratios = [];
  for (let i = 0; i < samples; i++) {
    const first = i % 2 === 0;
    const ta = first ? await time(a) : undefined;
    const tb = await time(b);
    const ta2 = first ? ta : await time(a);
    as.push(ta2);
    bs.push(tb);
    ratios.push(tb / ta2);
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return { a: median(as), b: median(bs), ratio: median(ratios) };
}

const row = (name, ns, ratio) => ({
  case: name,
  median: formatNs(ns),
  'ops/s': Math.round(1e9 / ns).toLocaleString('en-US'),
  'vs jose': ratio === undefined ? '1.00x' : `${ratio.toFixed(2)}x`,
});

// 1. Tokens: ours against jose with the key imported once, same claims and header.
const algs = process.env.JWT_BENCH_ALGS?.split(',') ?? ['EdDSA', 'ES256', 'RS256'];
for (const alg of algs) {
  const keys = new KeyManager({ store: createMemoryKeyStore(), env: {} });
  const pair = await keys.generateKeyPair('bench', { algorithm: alg });
  // jose's fastest path: CryptoKeys imported once, up front.
  const privateKey = await importPKCS8(pair.privateKey, alg);
  const publicKey = await importSPKI(pair.publicKey, alg);
  const claims = { scope: 'read' };
  const joseSign = () => {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, iss: 'bench', aud: 'peer', iat, exp: iat + 300 })
      .setProtectedHeader({ alg, kid: pair.kid, typ: 'JWT' })
      .sign(privateKey);
  };
  const token = await signJwt(keys, 'bench', claims, { audience: 'peer' });
  const verifyOptions = { algorithms: [alg], audience: 'peer', issuer: 'bench', requiredClaims: ['exp'] };
  const batch = alg === 'RS256' ? 1 : 5;
  const sign = await paired(joseSign, () => signJwt(keys, 'bench', claims, { audience: 'peer' }), batch);
  const verify = await paired(
    () => jwtVerify(token, publicKey, verifyOptions),
    () => verifyJwt(keys, token, { audience: 'peer' }),
    batch,
  );
  console.log(
    `\n1. ${alg}: ours vs jose alone with a pre-imported key (paired samples, ${CONCURRENCY} in flight)`,
  );
  console.table([
    row('jose SignJWT (pre-imported key)', sign.a),
    row('signJwt', sign.b, sign.ratio),
    row('jose jwtVerify (pre-imported key)', verify.a),
    row('verifyJwt', verify.b, verify.ratio),
  ]);
  printTarget(`${alg} signJwt within 1.2x of jose`, sign.ratio <= 1.2, `${sign.ratio.toFixed(2)}x`);
  printTarget(`${alg} verifyJwt within 1.2x of jose`, verify.ratio <= 1.2, `${verify.ratio.toFixed(2)}x`);
}

// 2. and 3. The JWKS endpoint.
async function requestsPerSecond(handler, total = 1000, concurrency = 20) {
  const start = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      const res = await handler(new Request('http://agent.test/.well-known/jwks.json'));
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function compareHandlers(title, keys, countReads, total) {
  const naive = async () => Response.json(await keys.jwks());
  const ours = createJwksHandler(keys);
  const rows = [];
  for (const [name, handler] of [
    ['naive Response.json(await keys.jwks())', naive],
    ['createJwksHandler', ours],
  ]) {
    await handler(new Request('http://agent.test/')); // warm KeyManager's cache / the set, as a running agent has it
    const before = countReads();
    const rps = await requestsPerSecond(handler, total);
    const reads = countReads() - before;
    rows.push({
      handler: name,
      'requests/s': Math.round(rps).toLocaleString('en-US'),
      'store reads per 1,000 requests': Math.round((reads * 1000) / total),
    });
  }
  console.log(`\n${title}`);
  console.table(rows);
  return rows;
}

const ids = Array.from({ length: 100 }, (_, i) => `agent-${String(i).padStart(3, '0')}`);
{
  const base = createMemoryKeyStore();
  let reads = 0;
  const count =
    (fn) =>
    async (...args) => {
      reads++;
      return fn(...args);
    };
  const store = {
    ...base,
    getPrivateKey: count(base.getPrivateKey.bind(base)),
    getPublicKey: count(base.getPublicKey.bind(base)),
    getKeyPair: count(base.getKeyPair.bind(base)),
    getKeyVersions: count(base.getKeyVersions.bind(base)),
    listKeyIds: count(base.listKeyIds.bind(base)),
  };
  const keys = new KeyManager({ store, env: {} });
  for (const id of ids) await keys.generateKeyPair(id);
  const rows = await compareHandlers(
    '2. JWKS endpoint, 100 ids, memory store (20 concurrent clients)',
    keys,
    () => reads,
    2000,
  );
  printTarget(
    'handler store reads per 1,000 requests below the naive one',
    rows[1]['store reads per 1,000 requests'] < rows[0]['store reads per 1,000 requests'],
    `${rows[1]['store reads per 1,000 requests']} vs ${rows[0]['store reads per 1,000 requests']}`,
  );
}

if (process.env.VAULT_ADDR && process.env.VAULT_TOKEN) {
  const { createVaultKeyStore } = await import('@phlow/keystore-vault');
  const { startCountingProxy } = await import('../../keystore-vault/bench/counting-proxy.mjs');
  const proxy = await startCountingProxy(process.env.VAULT_ADDR);
  const prefix = `jwt-bench-${Date.now().toString(36)}/`;
  const env = { VAULT_ADDR: proxy.address, VAULT_TOKEN: process.env.VAULT_TOKEN, PHLOW_VAULT_PREFIX: prefix };
  const store = createVaultKeyStore({ env, onWarning: () => {} });
  const keys = new KeyManager({ store, env: {} });
  try {
    for (const id of ids) await keys.generateKeyPair(id);
    const rows = await compareHandlers(
      '3. JWKS endpoint, 100 ids, local Vault through a counting proxy',
      keys,
      () => proxy.count(''),
      1000,
    );
    printTarget(
      'handler Vault requests per 1,000 requests below the naive one',
      rows[1]['store reads per 1,000 requests'] < rows[0]['store reads per 1,000 requests'],
      `${rows[1]['store reads per 1,000 requests']} vs ${rows[0]['store reads per 1,000 requests']}`,
    );
  } finally {
    for (const id of ids) await store.deleteKeyPair(id, { destroy: true }).catch(() => {});
    await keys.close();
    await proxy.close();
  }
} else {
  console.log(
    '\n3. skipped: VAULT_ADDR / VAULT_TOKEN not set (run through tooling/services/with-services.sh, as `pnpm bench` does)',
  );
}
