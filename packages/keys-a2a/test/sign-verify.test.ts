import { createMemoryKeyStore, type KeyAlgorithm } from '@phlow/keys-core';
import { testClock } from '@phlow/test-support/clock';
import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { canonicalize, isAgentCardError, signAgentCard, verifyAgentCard } from '../src/index.js';
import { manager } from './helpers.js';
import { sampleCard } from './sample-card.mjs';
import { publicOnly } from './signer-store.js';

const header = (protectedHeader: string) =>
  JSON.parse(new TextDecoder().decode(base64url.decode(protectedHeader)));

describe('signAgentCard / verifyAgentCard', () => {
  for (const algorithm of ['EdDSA', 'ES256', 'RS256'] as KeyAlgorithm[]) {
    it(`signs with ${algorithm} and verifies with the KeyManager's keys, naming the key`, async () => {
      const keys = manager();
      const pair = await keys.generateKeyPair('agent', { algorithm });
      const signed = await signAgentCard(keys, 'agent', sampleCard(), {
        jku: 'https://agent.example/jwks.json',
      });
      expect(signed.signatures).toHaveLength(1);
      const h = header(signed.signatures[0]!.protected);
      expect(h).toEqual({
        alg: algorithm,
        kid: pair.kid,
        typ: 'JOSE',
        jku: 'https://agent.example/jwks.json',
      });
      if (algorithm === 'ES256') expect(base64url.decode(signed.signatures[0]!.signature)).toHaveLength(64);
      // The jku is not a pinned JWK Set of this verifier: refused by default, a hint not followed with 'ignore'.
      const policy = { algorithms: [algorithm], keys, keyIds: ['agent'] };
      const refused = await verifyAgentCard(signed, policy).catch((e: unknown) => e);
      expect(isAgentCardError(refused, 'JKU_REFUSED')).toBe(true);
      const result = await verifyAgentCard(signed, { ...policy, jku: 'ignore' });
      expect(result).toMatchObject({
        kid: pair.kid,
        keyId: 'agent',
        source: 'keys',
        index: 0,
        alg: algorithm,
      });
    });
  }

  it('signs the card without signatures: the payload is RFC 8785 of the rest, old signatures replaced', async () => {
    const keys = manager();
    await keys.generateKeyPair('agent');
    const once = await signAgentCard(keys, 'agent', sampleCard());
    const twice = await signAgentCard(keys, 'agent', once);
    expect(twice.signatures).toHaveLength(1);
    const { signatures: _, ...rest } = twice;
    const input = `${twice.signatures[0]!.protected}.${base64url.encode(canonicalize(rest))}`;
    expect(await keys.verify('agent', input, base64url.decode(twice.signatures[0]!.signature))).toBe(true);
  });

  it('during a staged rotation signs with the signing key and the published next key', async () => {
    const clock = testClock();
    const keys = manager(createMemoryKeyStore(), clock.now, 600_000);
    const first = await keys.generateKeyPair('agent');
    const { kid: next } = await keys.rotateKeyPair('agent');
    const signed = await signAgentCard(keys, 'agent', sampleCard());
    expect(signed.signatures.map((s) => header(s.protected).kid)).toEqual([first.kid, next]);
    // A verifier that trusts only the next key (the old one revoked meanwhile) still accepts the card.
    const result = await verifyAgentCard(signed, {
      algorithms: ['EdDSA'],
      keys,
      keyIds: ['agent'],
      revokedKids: [first.kid],
    });
    expect(result).toMatchObject({ kid: next, index: 1 });
    clock.advance(600_001);
    const after = await signAgentCard(keys, 'agent', sampleCard());
    expect(after.signatures.map((s) => header(s.protected).kid)).toEqual([next]);
  });

  it('signs through a signer store (no private key in process), the next key too', async () => {
    const backing = createMemoryKeyStore();
    const writer = manager(backing);
    const first = await writer.generateKeyPair('agent', { algorithm: 'ES256' });
    const { kid: next } = await writer.rotateKeyPair('agent');
    const store = publicOnly(backing);
    const keys = manager(store);
    const signed = await signAgentCard(keys, 'agent', sampleCard());
    expect(store.signs).toBe(2);
    expect(signed.signatures.map((s) => header(s.protected).kid)).toEqual([first.kid, next]);
    for (const revoked of [first.kid, next]) {
      await expect(
        verifyAgentCard(signed, {
          algorithms: ['ES256'],
          keys: writer,
          keyIds: ['agent'],
          revokedKids: [revoked],
        }),
      ).resolves.toMatchObject({ keyId: 'agent' });
    }
  });

  it('verifies card text and pinned public JWKs', async () => {
    const keys = manager();
    await keys.generateKeyPair('agent');
    const jwks = await keys.jwks(['agent']);
    const signed = await signAgentCard(keys, 'agent', sampleCard());
    const result = await verifyAgentCard(JSON.stringify(signed), {
      algorithms: ['EdDSA'],
      pinnedKeys: jwks.keys as never,
    });
    expect(result).toMatchObject({ source: 'pinned', kid: jwks.keys[0]!.kid });
    expect(result.card.name).toBe('Example Agent');
  });

  it('requires an algorithm list and a trust source', async () => {
    const keys = manager();
    await keys.generateKeyPair('agent');
    const signed = await signAgentCard(keys, 'agent', sampleCard());
    for (const policy of [
      { keys, keyIds: ['agent'] },
      { algorithms: [], keys, keyIds: ['agent'] },
      { algorithms: ['HS256'], keys, keyIds: ['agent'] },
      { algorithms: ['EdDSA'] },
      { algorithms: ['EdDSA'], keys },
      { algorithms: ['EdDSA'], pinnedKeys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
    ]) {
      const error = await verifyAgentCard(signed, policy as never).catch((e: unknown) => e);
      expect(isAgentCardError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect(String((error as Error).message)).not.toContain('c2VjcmV0');
    }
  });

  it('records one verify audit event per verification, with the kid or the refusal code', async () => {
    const events: { operation: string; valid?: boolean; kid?: string; errorCode?: string }[] = [];
    const keys = manager(createMemoryKeyStore(), Date.now, 0, {
      onEvent: (e: { type: string }) => {
        if (e.type === 'audit') events.push(e as never);
      },
      auditHook: true,
    });
    const pair = await keys.generateKeyPair('agent');
    const signed = await signAgentCard(keys, 'agent', sampleCard());
    events.length = 0;
    await verifyAgentCard(signed, { algorithms: ['EdDSA'], keys, keyIds: ['agent'] });
    await verifyAgentCard(
      { ...signed, name: 'Other' },
      { algorithms: ['EdDSA'], keys, keyIds: ['agent'] },
    ).catch(() => {});
    const verifies = events.filter((e) => e.operation === 'verify');
    expect(verifies).toHaveLength(2);
    expect(verifies[0]).toMatchObject({ valid: true, kid: pair.kid });
    expect(verifies[1]).toMatchObject({ valid: false, errorCode: 'SIGNATURE_INVALID' });
  });

  it('without an auditing KeyManager, gives the core audit event to onAudit (no card in it)', async () => {
    const keys = manager();
    const pair = await keys.generateKeyPair('agent');
    const signed = await signAgentCard(keys, 'agent', sampleCard());
    const jwk = (await keys.jwks(['agent'])).keys[0] as never;
    const events: Record<string, unknown>[] = [];
    const onAudit = (event: unknown) => events.push(event as Record<string, unknown>);
    await verifyAgentCard(signed, { algorithms: ['EdDSA'], pinnedKeys: [jwk], onAudit });
    await verifyAgentCard(
      { ...signed, signatures: [{ ...signed.signatures[0]!, signature: 'A' }] },
      {
        algorithms: ['EdDSA'],
        pinnedKeys: [jwk],
        onAudit,
      },
    ).catch(() => {});
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      type: 'audit',
      operation: 'verify',
      valid: true,
      kid: pair.kid,
      storeType: 'a2a',
    });
    expect(events[1]).toMatchObject({ operation: 'verify', valid: false, errorCode: 'SIGNATURE_MALFORMED' });
    expect(JSON.stringify(events)).not.toContain('Example Agent');
  });
});
