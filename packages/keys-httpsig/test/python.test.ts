// Interop with PyPI http-message-signatures 3.0.0 (installed by tooling/services/python-httpsig/install.sh into
// a cached venv), both ways, for each algorithm of core's table: requests we sign verify there (Content-Digest
// included), and requests it signs with a key we hold and publish verify here.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { INSTALL_TIMEOUT_MS, pythonInterop } from '@phlow/test-support/python';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestVerifier, httpSigAlgorithm, signRequest } from '../src/index.js';
import { loopbackPolicy, serveDirectory } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const interop = pythonInterop({
  installer: join(here, '../../../tooling/services/python-httpsig/install.sh'),
  script: join(here, 'python/interop.py'),
});

beforeAll(() => interop.install(), INSTALL_TIMEOUT_MS);

type PyAnswer = { ok: boolean; error?: string; headers?: Record<string, string>; keyid?: string };

const py = (request: Record<string, unknown>) => interop.run<PyAnswer>(request);

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('%s', (alg) => {
  const manager = new KeyManager({ store: createMemoryKeyStore() });
  afterAll(() => manager.close());
  beforeAll(async () => {
    await manager.generateKeyPair('agent', { algorithm: alg });
  });

  it('a request we sign verifies in http-message-signatures (body digest checked), and a tampered one does not', async () => {
    const body = '{"qty":1}';
    const signed = await signRequest(
      manager,
      'agent',
      new Request('https://api.example/orders?x=1', { method: 'POST', body }),
      {
        agent: 'https://agent.example',
      },
    );
    const pair = await manager.getPublicKeyPair('agent');
    const ask = (url: string, b: string) =>
      py({
        cmd: 'verify',
        alg: httpSigAlgorithm(alg),
        keyid: pair.kid,
        public_pem: pair.publicKey,
        method: 'POST',
        url,
        headers: [...signed.headers],
        body: b,
        tag: 'web-bot-auth',
        require: ['@authority', '"signature-agent";key="sig1"', 'content-digest'],
      });
    expect(await ask(signed.url, body)).toMatchObject({ ok: true, keyid: pair.kid });
    expect((await ask('https://evil.example/orders?x=1', body)).ok).toBe(false);
    expect((await ask(signed.url, '{"qty":9}')).ok).toBe(false);
  });

  it('a request http-message-signatures signs with our key verifies here, and a tampered one does not', async () => {
    const pair = await manager.getKeyPair('agent');
    const answer = await py({
      cmd: 'sign',
      alg: httpSigAlgorithm(alg),
      keyid: pair.kid,
      private_pem: pair.privateKey,
      method: 'POST',
      url: 'https://api.example/orders',
      headers: [['content-type', 'application/json']],
      body: '{"qty":2}',
      components: ['@method', '@authority', '@path'],
      tag: 'web-bot-auth',
      nonce: 'n-123',
    });
    expect(answer.ok).toBe(true);
    const headers = new Headers(answer.headers);
    const verifier = createRequestVerifier({ keys: { manager, keyId: 'agent' } });
    const request = new Request('https://api.example/orders', { method: 'POST', headers, body: '{"qty":2}' });
    expect(await verifier.verify(request)).toMatchObject({ keyid: pair.kid, alg, nonce: 'n-123' });
    await expect(
      verifier.verify(
        new Request('https://api.example/orders', { method: 'POST', headers, body: '{"qty":3}' }),
      ),
    ).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await expect(
      verifier.verify(
        new Request('https://api.example/admin', { method: 'POST', headers, body: '{"qty":2}' }),
      ),
    ).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('http-message-signatures signs with Signature-Agent naming our directory server; our verifier fetches it', async () => {
    const pair = await manager.getKeyPair('agent');
    const directory = await serveDirectory(manager, ['agent']);
    try {
      const answer = await py({
        cmd: 'sign',
        alg: httpSigAlgorithm(alg),
        keyid: pair.kid,
        private_pem: pair.privateKey,
        method: 'GET',
        url: 'https://api.example/feed',
        headers: [['signature-agent', `sig1="${directory.origin}"`]],
        body: null,
        components: ['@authority', '"signature-agent";key="sig1"'],
        tag: 'web-bot-auth',
        nonce: 'n-456',
      });
      expect(answer.ok).toBe(true);
      const verifier = createRequestVerifier({ directory: loopbackPolicy(directory.origin) });
      const result = await verifier.verify(
        new Request('https://api.example/feed', { headers: new Headers(answer.headers) }),
      );
      expect(result).toMatchObject({ keyid: pair.kid, alg, agent: directory.origin });
      verifier.close();
    } finally {
      await directory.close();
    }
  });
});
