// Benchmarks for @phlow/keys-a2a (`pnpm bench`, after a build). Prints tables; asserts nothing.
//  1. signAgentCard and verifyAgentCard next to @a2a-js/sdk's generateAgentCardSignature /
//     verifyAgentCardSignature with a pre-imported key, per algorithm, in one run (A2A_BENCH_ALGS=ES256 runs
//     only those). Ours goes through KeyManager (signing seam, audit hook, trust policy, strict checks).
//  2. The card endpoint: a 200 and a 304 (If-None-Match) per request, next to `Response.json(await
//     signAgentCard(...))` per request (what a handler without a cache does).
import { createPrivateKey } from 'node:crypto';
import { generateAgentCardSignature, verifyAgentCardSignature } from '@a2a-js/sdk';
import { measure, printTable } from '@phlow/bench';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { importJWK } from 'jose';
import { createAgentCardHandler, signAgentCard, verifyAgentCard } from '../dist/index.js';
import { sampleCard } from '../test/sample-card.mjs';

const card = sampleCard();
const algs = (process.env.A2A_BENCH_ALGS ?? 'EdDSA,ES256,RS256').split(',');
const options = { samples: 30, batch: 20, warmup: 2 };
console.debug = () => {};

for (const alg of algs) {
  const keys = new KeyManager({ store: createMemoryKeyStore(), env: {} });
  const pair = await keys.generateKeyPair('agent', { algorithm: alg });
  const privateKey = createPrivateKey(pair.privateKey);
  const jwk = (await keys.jwks(['agent'])).keys[0];
  const publicKey = await importJWK(jwk, alg);
  const theirSigner = generateAgentCardSignature(privateKey, { alg, kid: pair.kid, typ: 'JOSE' });
  const theirVerifier = verifyAgentCardSignature(async () => publicKey);
  const signed = await signAgentCard(keys, 'agent', card);
  const text = JSON.stringify(signed);
  const policy = { algorithms: [alg], keys, keyIds: ['agent'] };
  const pinned = { algorithms: [alg], pinnedKeys: [jwk] };
  const rows = [
    await measure('@a2a-js/sdk sign', () => theirSigner(card), options),
    await measure('signAgentCard', () => signAgentCard(keys, 'agent', card), options),
    await measure('@a2a-js/sdk verify', () => theirVerifier(signed), options),
    await measure('verifyAgentCard (object, KeyManager)', () => verifyAgentCard(signed, policy), options),
    await measure('verifyAgentCard (text, pinned JWK)', () => verifyAgentCard(text, pinned), options),
  ];
  printTable(`${alg}: per call`, rows, { baseline: '@a2a-js/sdk verify' });
}

{
  const keys = new KeyManager({ store: createMemoryKeyStore(), env: {} });
  await keys.generateKeyPair('agent');
  const handler = createAgentCardHandler(keys, 'agent', card);
  const first = await handler(new Request('http://a/.well-known/agent-card.json'));
  const etag = first.headers.get('etag');
  const rows = [
    await measure(
      'no cache: Response.json(await signAgentCard())',
      async () => (await Response.json(await signAgentCard(keys, 'agent', card))).text(),
      options,
    ),
    await measure(
      'createAgentCardHandler, 200',
      async () => (await handler(new Request('http://a/.well-known/agent-card.json'))).text(),
      options,
    ),
    await measure(
      'createAgentCardHandler, 304',
      () =>
        handler(new Request('http://a/.well-known/agent-card.json', { headers: { 'if-none-match': etag } })),
      options,
    ),
  ];
  printTable('card endpoint: per request (EdDSA)', rows, {
    baseline: 'no cache: Response.json(await signAgentCard())',
  });
  handler.close();
}
