// Benchmarks for @phlow/keys-core, run with `pnpm bench` (after a build). Prints tables; asserts nothing.
//  1. A cached KeyManager.getKeyPair against an uncached read of the in-memory store (target: <= 1 µs median).
//  2. 10,000 concurrent gets of one cold id: how many store reads they cause (target: 1).
//  3. Ed25519 generate / sign / verify through core (@noble/ed25519) against node:crypto's native Ed25519.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
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
const counting = {
  ...store,
  getKeyPair: async (id) => {
    reads++;
    await new Promise((r) => setTimeout(r, 5)); // a backend that takes a moment, so the gets overlap
    return store.getKeyPair(id);
  },
};
const cold = new KeyManager({ store: counting, env: {} });
await Promise.all(Array.from({ length: 10_000 }, () => cold.getKeyPair('bench')));
console.log('\n2. single flight');
console.table([{ case: '10,000 concurrent gets of one cold id', 'store reads': reads }]);
printTarget('store reads for 10,000 concurrent cold gets == 1', reads === 1, String(reads));

const message = new TextEncoder().encode('a token payload of typical size '.repeat(4));
const signature = await km.sign('bench', message);
const pair = await km.getKeyPair('bench');
const nodePriv = createPrivateKey(pair.privateKey);
const nodePub = createPublicKey(pair.publicKey);
const rows = [
  await measure('generate: core (@noble/ed25519 + PEM)', () => newEd25519Pems(), { samples: 100, batch: 10 }),
  await measure(
    'generate: node:crypto (+ PEM export)',
    () => {
      const k = generateKeyPairSync('ed25519');
      k.privateKey.export({ type: 'pkcs8', format: 'pem' });
      k.publicKey.export({ type: 'spki', format: 'pem' });
    },
    { samples: 100, batch: 10 },
  ),
  await measure('sign: KeyManager.sign (noble)', () => km.sign('bench', message), {
    samples: 100,
    batch: 10,
  }),
  await measure('sign: node:crypto sign', () => sign(null, message, nodePriv), { samples: 100, batch: 10 }),
  await measure('verify: KeyManager.verify (noble)', () => km.verify('bench', message, signature), {
    samples: 100,
    batch: 10,
  }),
  await measure('verify: node:crypto verify', () => verify(null, message, nodePub, signature), {
    samples: 100,
    batch: 10,
  }),
];
printTable('3. Ed25519 through core (@noble/ed25519) vs node:crypto native', rows);
