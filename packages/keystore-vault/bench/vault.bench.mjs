// Benchmarks for @phlow/keystore-vault against the local Vault that with-services.sh starts (`pnpm bench`,
// after a build). Prints tables; asserts nothing.
//  1. One key read three ways in the same run: node-vault's raw read of the same path, this store's uncached
//     getKeyPair (target: <= 10% over raw), and a KeyManager's cached getKeyPair.
//  2. 1,000 concurrent cold gets of one id through a KeyManager: HTTP requests that reach Vault (target: 1).
import { measure, printTable, printTarget } from '@phlow/bench';
import { KeyManager, newEd25519Pems } from '@phlow/keys-core';
import { createVaultKeyStore } from '@phlow/keystore-vault';
import nodeVault from 'node-vault';
import { startCountingProxy } from './counting-proxy.mjs';

const address = process.env.VAULT_ADDR;
const token = process.env.VAULT_TOKEN;
if (!address || !token) {
  console.error(
    'VAULT_ADDR / VAULT_TOKEN are not set: run through tooling/services/with-services.sh (pnpm bench does)',
  );
  process.exit(1);
}
const env = { VAULT_ADDR: address, VAULT_TOKEN: token };
const keyId = `bench-${Date.now().toString(36)}`;
const store = createVaultKeyStore({ env, onWarning: () => {} });
const pair = newEd25519Pems();
await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);

try {
  // 1. Raw node-vault vs the store vs the cache. Rounds alternate so that drift hits every case alike; each
  //    case keeps its best round.
  const raw = nodeVault({ endpoint: address, token });
  const km = new KeyManager({ store, env: {} });
  await km.getKeyPair(keyId);
  const cases = {
    'raw node-vault read': () => raw.read(`phlow/data/keys/${keyId}`),
    'store getKeyPair (uncached)': () => store.getKeyPair(keyId),
  };
  const best = {};
  for (let round = 0; round < 5; round++) {
    for (const [name, fn] of Object.entries(cases)) {
      const r = await measure(name, fn, { samples: 300, warmup: 30 });
      if (!best[name] || r.medianNs < best[name].medianNs) best[name] = r;
    }
  }
  const cached = await measure('KeyManager getKeyPair (cached)', () => km.getKeyPair(keyId), {
    samples: 200,
    batch: 1000,
  });
  const rawRow = best['raw node-vault read'];
  const storeRow = best['store getKeyPair (uncached)'];
  printTable('1. one key read from the local Vault (HTTP, keep-alive)', [rawRow, storeRow, cached], {
    baseline: rawRow.name,
  });
  const overhead = storeRow.medianNs / rawRow.medianNs - 1;
  printTarget(
    'uncached store read <= 10% over a raw node-vault read',
    overhead <= 0.1,
    `${(overhead * 100).toFixed(1)}% (${(storeRow.medianNs / 1e3).toFixed(1)} µs vs ${(rawRow.medianNs / 1e3).toFixed(1)} µs)`,
  );

  // 2. Single flight: many concurrent cold gets, one HTTP request.
  const proxy = await startCountingProxy(address);
  try {
    const proxied = createVaultKeyStore({ env, address: proxy.address, onWarning: () => {} });
    const cold = new KeyManager({ store: proxied, env: {} });
    const started = process.hrtime.bigint();
    const results = await Promise.all(Array.from({ length: 1000 }, () => cold.getKeyPair(keyId)));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const requests = proxy.count(`GET /v1/phlow/data/keys/${keyId}`);
    console.log(
      `\n2. 1,000 concurrent cold KeyManager.getKeyPair of one id: ${requests} HTTP request(s) to Vault, ${ms.toFixed(1)} ms in all`,
    );
    printTarget(
      '1,000 concurrent cold gets -> 1 HTTP request',
      requests === 1 && results.every((p) => p.publicKey === pair.publicKey),
      `${requests} request(s)`,
    );
  } finally {
    await proxy.close();
  }
} finally {
  await store.deleteKeyPair(keyId, { destroy: true });
}
