// Benchmarks for @phlow/keys-jwt (`pnpm bench`, after a build). Prints tables; asserts nothing.
//  1. signJwt and verifyJwt next to jose alone with a pre-imported key, throughput with 8 in flight and CPU
//     per call (goal: within 1.1x in both), for EdDSA, ES256 and RS256, in one run. JWT_BENCH_ALGS=ES256
//     (comma-separated) runs only those; JWT_BENCH_SAMPLES sets the rounds (default 15).
//  2. The JWKS handler next to the naive `Response.json(await keys.jwks())`: requests per second and store
//     reads per 1,000 requests, 100 ids in the memory store behind a counting wrapper.
//  3. The same with 100 ids in the local Vault (when VAULT_ADDR is set, as with-services.sh does), counting
//     the HTTP requests that reach Vault through a proxy.
import { printTarget } from '@phlow/bench';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { importPKCS8, importSPKI, jwtVerify, SignJWT } from 'jose';
import { createJwksHandler, signJwt, verifyJwt } from '../dist/index.js';
import { compare, printComparison } from './compare.mjs';

// 1. Tokens: ours against jose with the key imported once, same claims and header (compare.mjs: rounds
// interleaved, 8 in flight, wall time and process CPU per call, ratios to jose in the same run).
const algs = process.env.JWT_BENCH_ALGS?.split(',') ?? ['EdDSA', 'ES256', 'RS256'];
const samples = Number(process.env.JWT_BENCH_SAMPLES ?? 15);
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
  const batch = alg === 'RS256' ? 4 : 20;
  const sign = await compare(
    [
      { name: 'jose SignJWT (pre-imported key)', fn: joseSign },
      { name: 'signJwt', fn: () => signJwt(keys, 'bench', claims, { audience: 'peer' }) },
    ],
    { batch, samples },
  );
  const verify = await compare(
    [
      { name: 'jose jwtVerify (pre-imported key)', fn: () => jwtVerify(token, publicKey, verifyOptions) },
      { name: 'verifyJwt', fn: () => verifyJwt(keys, token, { audience: 'peer' }) },
    ],
    { batch, samples },
  );
  printComparison(`1. ${alg}: signJwt and verifyJwt beside jose with a pre-imported key`, [
    ...sign,
    ...verify,
  ]);
  // The verify rows' ratios are to jose's jwtVerify (the table's anchor column shows sign's and verify's own).
  for (const [label, r] of [
    ['signJwt', sign[1]],
    ['verifyJwt', verify[1]],
  ]) {
    printTarget(
      `${alg} ${label} within 1.1x of jose (time, CPU; 8 in flight)`,
      r.wallRatio <= 1.1 && r.cpuRatio <= 1.1,
      `${r.wallRatio.toFixed(2)}x time, ${r.cpuRatio.toFixed(2)}x CPU`,
    );
  }
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

/**
 * The naive handler reads no more than ours since KeyManager caches the listing and the keys (TTL): what is
 * left between them is a JWK Set built and serialised per request. So: no more store requests than the naive
 * one, and more requests per second.
 */
function printJwksTargets(rows, what) {
  const [naive, ours] = rows;
  const reads = 'store reads per 1,000 requests';
  printTarget(
    `handler ${what} per 1,000 requests at most the naive one's`,
    ours[reads] <= naive[reads],
    `${ours[reads]} vs ${naive[reads]}`,
  );
  const rps = (row) => Number(row['requests/s'].replaceAll(',', ''));
  printTarget(
    'handler requests/s above the naive one',
    rps(ours) > rps(naive),
    `${(rps(ours) / rps(naive)).toFixed(2)}x`,
  );
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
  printJwksTargets(rows, 'store reads');
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
    printJwksTargets(rows, 'Vault requests');
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
