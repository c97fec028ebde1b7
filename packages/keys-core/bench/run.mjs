// Benchmarks for @phlow/keys-core, run with `pnpm bench` (after a build). Prints tables; asserts nothing.
//  1. A cached KeyManager.getKeyPair against an uncached read of the in-memory store (target: <= 1 µs median).
//  2. 10,000 concurrent gets of one cold id: how many store reads they cause (target: 1).
//  3. Ed25519 sign / verify: KeyManager against raw node:crypto with a cached KeyObject (the physical limit
//     here) and against @noble/ed25519, the bundled portable path (target: KeyManager within 1.3x of raw).
//  4. 20 concurrent jwks() over 100 ids: store requests (target: one listing, at most one read per id).
//  5. Sign throughput with the audit sink (PHLOW_KEY_AUDIT_LOG to a file) off and on, side by side, in a
//     tight loop and in the server pattern (one signature per event-loop turn), and with fail-closed (one
//     write per event) as the named alternative (target: the default sink costs < 5% in the server
//     pattern); bench/audit-sink.mjs.

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import * as noble from '@noble/ed25519';
import { measure, printTable, printTarget } from '@phlow/bench';
import { createMemoryKeyStore, KeyManager, newEd25519Pems } from '@phlow/keys-core';

const store = createMemoryKeyStore();
const km = new KeyManager({ store, env: {} });
await km.generateKeyPair('bench');
await km.getKeyPair('bench');

const cached = await measure('KeyManager.getKeyPair (cached)', () => km.getKeyPair('bench'), {
  samples: 200,
  batch: 1000,
});
const uncached = await measure('memory store getKeyPair (uncached)', () => store.getKeyPair('bench'), {
  samples: 200,
  batch: 1000,
});
printTable('1. cached read vs uncached in-memory store read', [uncached, cached], {
  baseline: uncached.name,
});
printTarget(
  'cached getKeyPair median <= 1 µs',
  cached.medianNs <= 1000,
  `${(cached.medianNs / 1000).toFixed(3)} µs`,
);

let reads = 0;
// A backend that takes a moment, so the gets overlap. KeyManager reads an id's version list (its one cache
// entry per id) on a store with versions, the pair on others: both count.
const slowRead = (read) => async (id) => {
  reads++;
  await new Promise((r) => setTimeout(r, 5));
  return read(id);
};
const counting = {
  ...store,
  getKeyPair: slowRead((id) => store.getKeyPair(id)),
  getKeyVersions: slowRead((id) => store.getKeyVersions(id)),
};
const cold = new KeyManager({ store: counting, env: {} });
await Promise.all(Array.from({ length: 10_000 }, () => cold.getKeyPair('bench')));
console.log('\n2. single flight');
console.table([{ case: '10,000 concurrent gets of one cold id', 'store reads': reads }]);
printTarget('store reads for 10,000 concurrent cold gets == 1', reads === 1, String(reads));

noble.hashes.sha512 = (m) => new Uint8Array(createHash('sha512').update(m).digest());
const message = new TextEncoder().encode('a token payload of typical size '.repeat(4));
const signature = await km.sign('bench', message);
const pair = await km.getKeyPair('bench');
const nodePriv = createPrivateKey(pair.privateKey);
const nodePub = createPublicKey(pair.publicKey);
const seed = new Uint8Array(Buffer.from(nodePriv.export({ format: 'jwk' }).d, 'base64url'));
const rawPublic = new Uint8Array(Buffer.from(nodePub.export({ format: 'jwk' }).x, 'base64url'));
const fast = { samples: 100, batch: 20 };
const slow = { samples: 20, batch: 5 };
/**
 * Measures the rows in turn, three rounds, and keeps each row's best median: on a shared, noisy machine
 * this compares the rows under the same conditions rather than whichever ran in a quiet moment.
 */
async function rounds(cases, count = 3) {
  const best = new Map();
  for (let round = 0; round < count; round++) {
    for (const [name, fn, options] of cases) {
      const row = await measure(name, fn, options);
      if (!best.has(name) || row.medianNs < best.get(name).medianNs) best.set(name, row);
    }
  }
  return cases.map(([name]) => best.get(name));
}
const signRows = await rounds([
  ['sign: node:crypto, cached KeyObject (raw)', () => sign(null, message, nodePriv), fast],
  ['sign: KeyManager.sign', () => km.sign('bench', message), fast],
  ['sign: @noble/ed25519 (portable path)', () => noble.sign(message, seed), slow],
]);
const verifyRows = await rounds([
  ['verify: node:crypto, cached KeyObject (raw)', () => verify(null, message, nodePub, signature), fast],
  ['verify: KeyManager.verify', () => km.verify('bench', message, signature), fast],
  [
    'verify: @noble/ed25519 (portable path)',
    () => noble.verify(signature, message, rawPublic, { zip215: false }),
    slow,
  ],
]);
printTable('3a. Ed25519 sign', signRows, { baseline: signRows[0].name });
printTable('3b. Ed25519 verify', verifyRows, { baseline: verifyRows[0].name });
for (const [what, rows] of [
  ['sign', signRows],
  ['verify', verifyRows],
]) {
  const ratio = rows[1].medianNs / rows[0].medianNs;
  printTarget(`KeyManager.${what} within 1.3x of raw node:crypto`, ratio <= 1.3, `${ratio.toFixed(2)}x`);
}
const generateRows = [
  await measure('generate: core (@noble/ed25519 + PEM)', () => newEd25519Pems(), { samples: 50, batch: 5 }),
  await measure(
    'generate: node:crypto (+ PEM export)',
    () => {
      const k = generateKeyPairSync('ed25519');
      k.privateKey.export({ type: 'pkcs8', format: 'pem' });
      k.publicKey.export({ type: 'spki', format: 'pem' });
    },
    { samples: 50, batch: 5 },
  ),
];
printTable('3c. Ed25519 key generation', generateRows, { baseline: generateRows[1].name });

// 4. A store whose every request takes a moment, so concurrent calls overlap as they would against Vault.
const ids = Array.from({ length: 100 }, (_, i) => `agent-${String(i).padStart(3, '0')}`);
const base = createMemoryKeyStore();
const writer = new KeyManager({ store: base, env: {} });
for (const id of ids) await writer.generateKeyPair(id);
const requests = { listings: 0, reads: 0, running: 0, mostRunning: 0 };
const slowly =
  (fn) =>
  async (...args) => {
    requests.running++;
    requests.mostRunning = Math.max(requests.mostRunning, requests.running);
    try {
      await new Promise((r) => setTimeout(r, 2));
      return await fn(...args);
    } finally {
      requests.running--;
    }
  };
const countedStore = {
  ...base,
  listKeyIds: slowly(() => {
    requests.listings++;
    return base.listKeyIds();
  }),
  getKeyVersions: slowly((id) => {
    requests.reads++;
    return base.getKeyVersions(id);
  }),
  getKeyPair: slowly((id) => {
    requests.reads++;
    return base.getKeyPair(id);
  }),
};
const publisher = new KeyManager({ store: countedStore, env: {} });
const started = process.hrtime.bigint();
const sets = await Promise.all(Array.from({ length: 20 }, () => publisher.jwks()));
const tookMs = Number(process.hrtime.bigint() - started) / 1e6;
console.log('\n4. JWK Set without store storms (store requests take 2 ms each)');
console.table([
  {
    case: '20 concurrent jwks() over 100 ids',
    'keys per set': sets[0].keys.length,
    listings: requests.listings,
    'key reads': requests.reads,
    'most requests at once': requests.mostRunning,
    'wall ms': Math.round(tookMs),
  },
]);
printTarget(
  'one listing, at most one read per id',
  requests.listings === 1 && requests.reads <= ids.length,
  `${requests.listings} listing(s), ${requests.reads} reads for ${ids.length} ids`,
);

// 5. The audit sink on the sign hot path: bench/audit-sink.mjs (also runs alone: node bench/audit-sink.mjs).
await import('./audit-sink.mjs');
