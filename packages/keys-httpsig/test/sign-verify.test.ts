// Signing through KeyManager and verifying against a local KeyManager's keys (an agent's own peers).
import { request as httpRequest, type RequestOptions } from 'node:http';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMemoryNonceStore,
  createRequestVerifier,
  messageOf,
  requestOfIncoming,
  signMessage,
  signNodeRequest,
  signRequest,
} from '../src/index.js';
import { serve } from './helpers.js';

const managers: KeyManager[] = [];
async function withKey(
  algorithm: 'EdDSA' | 'ES256' | 'RS256' = 'EdDSA',
  options: Record<string, unknown> = {},
) {
  const events: { operation?: string; valid?: boolean; errorCode?: string }[] = [];
  const manager = new KeyManager({
    store: createMemoryKeyStore(),
    onEvent: (e) => {
      if ((e as { type: string }).type === 'audit') events.push(e as never);
    },
    ...options,
  });
  managers.push(manager);
  await manager.generateKeyPair('agent', { algorithm });
  return { manager, events };
}
afterAll(async () => {
  for (const m of managers) await m.close();
});

describe('sign and verify with local keys', () => {
  it.each(['EdDSA', 'ES256', 'RS256'] as const)(
    "%s: a Request with a body round-trips; alg and keyid are the table's",
    async (alg) => {
      const { manager } = await withKey(alg);
      const signed = await signRequest(
        manager,
        'agent',
        new Request('https://api.example/orders', { method: 'POST', body: '{"qty":1}' }),
        { agent: 'https://agent.example' },
      );
      expect(signed.headers.get('signature-agent')).toBe('sig1="https://agent.example"');
      const input = signed.headers.get('signature-input')!;
      expect(input).toMatch(
        /^sig1=\("@authority" "signature-agent";key="sig1" "content-digest"\);created=\d+;expires=\d+;keyid="[\w-]{43}";alg="[\w-]+";nonce="[^"]+";tag="web-bot-auth"$/,
      );
      expect(signed.headers.get('content-digest')).toMatch(/^sha-256=:/);
      const kid = (await manager.getPublicKeyPair('agent')).kid;
      const verifier = createRequestVerifier({ keys: { manager, keyId: 'agent' } });
      const result = await verifier.verify(signed);
      expect(result).toMatchObject({ keyid: kid, alg, tag: 'web-bot-auth', label: 'sig1' });
      expect(await signed.text()).toBe('{"qty":1}');
    },
  );

  it('one audit event per verification, accepted or refused', async () => {
    const { manager, events } = await withKey();
    const verifier = createRequestVerifier({
      keys: { manager, keyId: 'agent' },
      nonceStore: createMemoryNonceStore(),
    });
    const good = await signRequest(manager, 'agent', new Request('https://api.example/'));
    events.length = 0;
    await verifier.verify(good.clone());
    const bad = new Request('https://evil.example/', { headers: good.headers });
    await expect(verifier.verify(bad)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    await expect(verifier.verify(new Request('https://api.example/'))).rejects.toMatchObject({
      code: 'MISSING_SIGNATURE',
    });
    // A replay: the signature is valid, the nonce was seen; still one event, the refusal.
    await expect(verifier.verify(good)).rejects.toMatchObject({ code: 'REPLAYED' });
    const verifies = events.filter((e) => e.operation === 'verify');
    expect(verifies.map((e) => [e.valid, e.errorCode])).toEqual([
      [true, undefined],
      [false, 'SIGNATURE_INVALID'],
      [false, 'MISSING_SIGNATURE'],
      [false, 'REPLAYED'],
    ]);
  });

  it('a hostile key id from Signature-Agent goes through the unverified-read gate (no per-id store read)', async () => {
    const { manager } = await withKey();
    const verifier = createRequestVerifier({
      keys: { manager, keyId: (agent) => (agent ?? '').replace(/\W/g, '').slice(0, 40) || 'none' },
    });
    const good = await signRequest(manager, 'agent', new Request('https://api.example/'), {
      agent: 'https://agent.example',
    });
    for (let i = 0; i < 50; i++) {
      const headers = new Headers(good.headers);
      headers.set('signature-agent', `sig1="https://forged${i}.example"`);
      await expect(verifier.verify(new Request('https://api.example/', { headers }))).rejects.toMatchObject({
        code: 'KEY_UNKNOWN',
      });
    }
    const gate = manager.unverifiedReads;
    // The memory store lists: the forged ids were answered from the id list, not read one by one.
    expect(gate.admitted).toBe(0);
    expect(gate.refusedUnknown).toBe(50);
  });

  it('KeyManager.verify with unverified: true refuses an unknown id without naming it', async () => {
    const { manager } = await withKey();
    const signature = await manager.sign('agent', 'x');
    expect(await manager.verify('agent', 'x', signature, { unverified: true })).toBe(true);
    const error = await manager.verify('forged-id-123', 'x', signature, { unverified: true }).catch((e) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    expect(String(error.message)).not.toContain('forged-id-123');
  });

  it('during a staged rotation the signature is by the key sign uses, and the next key verifies once active', async () => {
    let t = Date.now();
    const { manager } = await withKey('EdDSA', {
      now: () => t,
      rotationDelayMs: 60_000,
      store: createMemoryKeyStore(),
    });
    const before = (await manager.getPublicKeyPair('agent')).kid;
    await manager.rotateKeyPair('agent');
    const verifier = createRequestVerifier({ keys: { manager, keyId: 'agent' }, now: () => t });
    const during = await signRequest(manager, 'agent', new Request('https://api.example/'), { now: () => t });
    expect((await verifier.verify(during)).keyid).toBe(before);
    t += 61_000;
    const after = await signRequest(manager, 'agent', new Request('https://api.example/'), { now: () => t });
    const result = await verifier.verify(after);
    expect(result.keyid).not.toBe(before);
    expect(result.keyid).toBe((await manager.getPublicKeyPair('agent')).kid);
  });

  it('signs Node http.request options; a Node server verifies through requestOfIncoming', async () => {
    const { manager } = await withKey();
    const verifier = createRequestVerifier({ keys: { manager, keyId: 'agent' } });
    const results: unknown[] = [];
    const server = await serve(async (req, res) => {
      try {
        results.push(await verifier.verify(await requestOfIncoming(req, `http://${req.headers.host}`)));
        res.end('ok');
      } catch (error) {
        results.push((error as { code: string }).code);
        res.statusCode = 401;
        res.end();
      }
    });
    try {
      const url = new URL(server.origin);
      const body = '{"hello":"world"}';
      const options = await signNodeRequest(
        manager,
        'agent',
        {
          protocol: 'http:',
          hostname: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/p?q=1',
          headers: { 'content-type': 'application/json' },
        },
        body,
      );
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(options as unknown as RequestOptions, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(status).toBe(200);
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({ alg: 'EdDSA' });
    } finally {
      await server.close();
    }
  });

  it('refuses bad signing arguments with typed errors', async () => {
    const { manager } = await withKey();
    const m = messageOf('GET', new URL('https://a.example/'), {});
    await expect(signMessage(manager, 'agent', m, { expiresInSeconds: 86_401 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(signMessage(manager, 'agent', m, { label: 'Bad Label' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
