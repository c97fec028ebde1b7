// Benchmarks for @phlow/keys-httpsig (`pnpm bench`, after a build). Prints tables; asserts nothing.
// Signing and verifying one Web Bot Auth request (Ed25519, @authority + signature-agent, no body), ours next
// to npm `web-bot-auth` 0.1.3 with its key imported once into WebCrypto, in one run:
//  - sign: signRequest through KeyManager (memory store, auditing off) vs web-bot-auth's signatureHeaders;
//  - verify: our verifier with local keys (KeyManager.verify) vs web-bot-auth's verify with verifierFromJWK.
import { measure, printTable } from '@phlow/bench';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { signatureHeaders, verify as wbaVerify } from 'web-bot-auth';
import { Ed25519Signer, verifierFromJWK } from 'web-bot-auth/crypto';
import { createRequestVerifier, signRequest } from '../dist/index.js';

const samples = Number(process.env.HTTPSIG_BENCH_SAMPLES ?? 30);
const batch = 50;
const keys = new KeyManager({ store: createMemoryKeyStore() });
const pair = await keys.generateKeyPair('agent');
const kid = pair.kid;
const privateJwk = {
  ...(await import('node:crypto')).createPrivateKey(pair.privateKey).export({ format: 'jwk' }),
  kid,
};
const publicJwk = (await keys.jwks(['agent'])).keys[0];
const signer = await Ed25519Signer.fromJWK(privateJwk);
const wbaVerifier = await verifierFromJWK(publicJwk);
const ours = createRequestVerifier({ keys: { manager: keys, keyId: 'agent' } });
const url = 'https://api.example/orders';
const agent = 'https://agent.example';

const oursSigned = await signRequest(keys, 'agent', new Request(url), {
  agent,
  components: ['@authority', 'signature-agent'],
});
const theirsSigned = await (async () => {
  const request = new Request(url, { headers: { 'signature-agent': `"${agent}"` } });
  const now = new Date();
  const h = await signatureHeaders(request, signer, {
    created: now,
    expires: new Date(now.getTime() + 300_000),
  });
  return new Request(url, {
    headers: {
      'signature-agent': `"${agent}"`,
      'signature-input': h['Signature-Input'],
      signature: h.Signature,
    },
  });
})();

const sign = [
  await measure(
    'web-bot-auth signatureHeaders (baseline)',
    async () => {
      const request = new Request(url, { headers: { 'signature-agent': `"${agent}"` } });
      const now = new Date();
      await signatureHeaders(request, signer, { created: now, expires: new Date(now.getTime() + 300_000) });
    },
    { samples, batch },
  ),
  await measure(
    'keys-httpsig signRequest (KeyManager.signDetailed)',
    () =>
      signRequest(keys, 'agent', new Request(url), { agent, components: ['@authority', 'signature-agent'] }),
    { samples, batch },
  ),
];
printTable('sign one request (Ed25519)', sign, { baseline: sign[0].name });

const verify = [
  await measure('web-bot-auth verify (baseline)', () => wbaVerify(theirsSigned, wbaVerifier), {
    samples,
    batch,
  }),
  await measure('keys-httpsig verifier, local keys', () => ours.verify(oursSigned), { samples, batch }),
];
printTable('verify one request (Ed25519)', verify, { baseline: verify[0].name });
ours.close();
await keys.close();
