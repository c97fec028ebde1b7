// Repeated verification of the same token (`pnpm bench`, after a build): a client that reuses its bearer
// token for every request. Side by side in one run, 8 in flight: jose's jwtVerify with a pre-imported key
// (the anchor: no cache), fast-jwt's verifier with its token cache (which cannot drop an entry when a key is
// revoked), verifyJwt without a cache, and createJwtVerifier with the verified-token cache (which checks,
// per hit, the exp window and that the KeyManager still lists the key). Goal: the cache ≥ 10x jose's rate.
// Asserts nothing. TOKEN_CACHE_BENCH_SAMPLES shortens or lengthens the run (default 15).
import { printTarget } from '@phlow/bench';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { createVerifier } from 'fast-jwt';
import { importSPKI, jwtVerify } from 'jose';
import { createJwtVerifier, signJwt, verifyJwt } from '../dist/index.js';
import { compare, printComparison } from './compare.mjs';

const samples = Number(process.env.TOKEN_CACHE_BENCH_SAMPLES ?? 15);
for (const alg of ['EdDSA', 'RS256']) {
  const keys = new KeyManager({ store: createMemoryKeyStore(), env: {} });
  const pair = await keys.generateKeyPair('bench', { algorithm: alg });
  const token = await signJwt(keys, 'bench', { scope: 'read' }, { audience: 'peer', expiresIn: '1h' });
  const publicKey = await importSPKI(pair.publicKey, alg);
  const joseOptions = { algorithms: [alg], audience: 'peer', issuer: 'bench', requiredClaims: ['exp'] };
  const fast = createVerifier({
    key: pair.publicKey,
    algorithms: [alg],
    allowedAud: 'peer',
    allowedIss: 'bench',
    cache: true,
  });
  const cached = createJwtVerifier(keys, { audience: 'peer', cache: true });
  const results = await compare(
    [
      {
        name: 'jose jwtVerify (pre-imported key, no cache)',
        fn: () => jwtVerify(token, publicKey, joseOptions),
      },
      { name: 'fast-jwt createVerifier({ cache: true })', fn: async () => fast(token) },
      { name: 'verifyJwt (no cache)', fn: () => verifyJwt(keys, token, { audience: 'peer' }) },
      { name: 'createJwtVerifier({ cache: true })', fn: () => cached.verify(token) },
    ],
    { batch: alg === 'RS256' ? 20 : 50, samples },
  );
  printComparison(`Repeated verification of one ${alg} token (8 in flight)`, results);
  const speedup = 1 / results[3].wallRatio;
  printTarget(
    `${alg} cached repeated verification ≥ 10x jose's rate`,
    speedup >= 10,
    `${speedup.toFixed(1)}x`,
  );
}
