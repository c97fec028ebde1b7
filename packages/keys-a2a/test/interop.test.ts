/**
 * Interop both ways with the real SDKs, installed from the registries: @a2a-js/sdk (npm devDependency) and
 * Python a2a-sdk[signing] (PyPI, tooling/services/python-a2a/install.sh). Where their canonicalization
 * differs from RFC 8785, the last tests show it (see the README, "Canonicalization and the A2A SDKs").
 */
import { createPrivateKey } from 'node:crypto';
import { canonicalizeAgentCard, generateAgentCardSignature, verifyAgentCardSignature } from '@a2a-js/sdk';
import type { KeyAlgorithm } from '@phlow/keys-core';
import { importJWK } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { canonicalize, isAgentCardError, signAgentCard, verifyAgentCard } from '../src/index.js';
import { manager } from './helpers.js';
import { python } from './python.js';
import { sampleCard } from './sample-card.mjs';

const ALGS: KeyAlgorithm[] = ['EdDSA', 'ES256', 'RS256'];

// @a2a-js/sdk logs every signature it refuses (with the card) on console.debug; the tests assert the outcome.
beforeAll(() => {
  vi.spyOn(console, 'debug').mockImplementation(() => {});
});

async function agent(algorithm: KeyAlgorithm) {
  const keys = manager(undefined, Date.now, 0);
  const pair = await keys.generateKeyPair('agent', { algorithm });
  const jwks = await keys.jwks(['agent']);
  return { keys, pair, jwks, policy: { algorithms: [algorithm], keys, keyIds: ['agent'] } };
}

/** @a2a-js/sdk's verifier with a key lookup from our JWK Set (kid -> JWK). */
function jsVerifier(jwks: { keys: readonly { kid: string }[] }, alg: string) {
  return verifyAgentCardSignature(async (kid) => {
    const jwk = jwks.keys.find((k) => k.kid === kid);
    if (!jwk) throw new Error('unknown kid');
    return importJWK(jwk as never, alg);
  });
}

describe('@a2a-js/sdk', () => {
  for (const alg of ALGS) {
    it(`verifies a card we sign (${alg})`, async () => {
      const { keys, jwks } = await agent(alg);
      const signed = await signAgentCard(keys, 'agent', sampleCard());
      await expect(jsVerifier(jwks, alg)(signed as never)).resolves.toBeUndefined();
      // And refuses it once changed: the check is real.
      await expect(jsVerifier(jwks, alg)({ ...signed, name: 'Other' } as never)).rejects.toThrow();
    });

    it(`signs a card we verify (${alg})`, async () => {
      const { keys, pair, policy } = await agent(alg);
      const privateKey = createPrivateKey((await keys.getKeyPair('agent')).privateKey);
      const signed = await generateAgentCardSignature(privateKey, { alg, kid: pair.kid, typ: 'JOSE' })(
        sampleCard() as never,
      );
      await expect(verifyAgentCard(signed, policy)).resolves.toMatchObject({ kid: pair.kid });
    });
  }
});

describe('Python a2a-sdk[signing]', () => {
  for (const alg of ALGS) {
    it(`verifies a card we sign (${alg})`, async () => {
      const { keys, jwks } = await agent(alg);
      const signed = await signAgentCard(keys, 'agent', sampleCard());
      expect(await python('verify', { card: signed, jwks, algorithms: [alg] })).toEqual({ ok: true });
      expect(
        await python('verify', { card: { ...signed, name: 'Other' }, jwks, algorithms: [alg] }),
      ).toMatchObject({
        ok: false,
      });
    });

    it(`signs a card we verify (${alg})`, async () => {
      const { keys, pair, policy } = await agent(alg);
      const key = (await keys.getKeyPair('agent')).privateKey;
      const signed = await python('sign', { card: sampleCard(), key, alg, kid: pair.kid });
      await expect(verifyAgentCard(signed, policy)).resolves.toMatchObject({ kid: pair.kid });
    });
  }
});

describe('a card signed during a staged rotation (signing key and next key)', () => {
  it('verifies in both SDKs with a JWK Set that has only one of the two keys', async () => {
    const keys = manager(undefined, Date.now, 600_000);
    const first = await keys.generateKeyPair('agent', { algorithm: 'ES256' });
    const { kid: next } = await keys.rotateKeyPair('agent');
    const signed = await signAgentCard(keys, 'agent', sampleCard());
    expect(signed.signatures).toHaveLength(2);
    const all = await keys.jwks(['agent']);
    for (const kid of [first.kid, next]) {
      const jwks = { keys: all.keys.filter((k) => k.kid === kid) };
      await expect(jsVerifier(jwks, 'ES256')(signed as never)).resolves.toBeUndefined();
      expect(await python('verify', { card: signed, jwks, algorithms: ['ES256'] })).toEqual({ ok: true });
    }
  });
});

describe('where the SDKs canonicalize differently from RFC 8785', () => {
  // Empty values and members outside the SDKs' v1.0 schema: both SDKs drop them before JCS.
  const unusual = () => ({
    ...sampleCard(),
    description: '',
    iconUrl: '',
    'x-extra': { note: 'not in the schema' },
  });

  it('the SDKs drop empty values and unknown members; RFC 8785 keeps them', async () => {
    const card = unusual();
    const ours = canonicalize(card);
    const js = canonicalizeAgentCard(card as never);
    expect(ours).toContain('"description":""');
    expect(ours).toContain('"x-extra"');
    expect(js).not.toContain('"description":""');
    expect(js).not.toContain('x-extra');
    // The SDK agrees with us on a card in its normal form.
    expect(canonicalizeAgentCard(sampleCard() as never)).toBe(canonicalize(sampleCard()));
    const { 'x-extra': _, ...known } = card;
    const py = (await python('canon', { card: known })) as { canonical: string };
    expect(py.canonical).not.toContain('"description":""');
    expect(((await python('canon', { card: sampleCard() })) as { canonical: string }).canonical).toBe(
      canonicalize(sampleCard()),
    );
  });

  it('so a card with such members signed by us does not verify with the SDKs', async () => {
    const { keys, jwks } = await agent('EdDSA');
    const { 'x-extra': _, ...known } = unusual();
    const signed = await signAgentCard(keys, 'agent', known);
    await expect(jsVerifier(jwks, 'EdDSA')(signed as never)).rejects.toThrow();
    expect(await python('verify', { card: signed, jwks, algorithms: ['EdDSA'] })).toMatchObject({
      ok: false,
    });
  });

  it('and @a2a-js/sdk accepts an unknown member changed after signing; we refuse it', async () => {
    const { keys, pair, jwks, policy } = await agent('EdDSA');
    const privateKey = createPrivateKey((await keys.getKeyPair('agent')).privateKey);
    const signed = await generateAgentCardSignature(privateKey, { alg: 'EdDSA', kid: pair.kid, typ: 'JOSE' })(
      {
        ...sampleCard(),
        'x-extra': 'signed value',
      } as never,
    );
    const tampered = { ...signed, 'x-extra': 'attacker value' };
    await expect(jsVerifier(jwks, 'EdDSA')(tampered as never)).resolves.toBeUndefined();
    const error = await verifyAgentCard(tampered, policy).catch((e: unknown) => e);
    expect(isAgentCardError(error, 'SIGNATURE_INVALID')).toBe(true);
  });
});
