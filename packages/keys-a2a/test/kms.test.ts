/**
 * A card signed by AWS KMS (ministack's KMS, started by tooling/services/ministack/with-ministack.sh, which the
 * package's test script runs): ES256 and EdDSA keys that never leave KMS, KMS's DER ECDSA signatures in JWS
 * form (r || s) through KeyManager's seam, verified by us, @a2a-js/sdk and the Python a2a-sdk.
 */
import { verifyAgentCardSignature } from '@a2a-js/sdk';
import { type KeyAlgorithm, KeyManager } from '@phlow/keys-core';
import { createAwsKmsKeyStore } from '@phlow/keystore-aws-kms';
import { base64url, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signAgentCard, verifyAgentCard } from '../src/index.js';
import { python } from './python.js';
import { sampleCard } from './sample-card.mjs';

const uid = (label: string) =>
  `a2a-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

let keys: KeyManager;
beforeAll(() => {
  if (!process.env.AWS_ENDPOINT_URL_KMS) {
    throw new Error('run through tooling/services/ministack/with-ministack.sh (pnpm test does)');
  }
  vi.spyOn(console, 'debug').mockImplementation(() => {});
  keys = new KeyManager({ store: createAwsKmsKeyStore(), env: {}, rotationDelayMs: 600_000 });
});
afterAll(() => keys.close());

describe('signAgentCard on AWS KMS (ministack)', () => {
  for (const algorithm of ['ES256', 'EdDSA'] as KeyAlgorithm[]) {
    it(`${algorithm}: the signing and the next key sign inside KMS; every verifier accepts each`, async () => {
      const id = uid(algorithm.toLowerCase());
      const first = await keys.createKey(id, { algorithm });
      const { kid: next } = await keys.rotateKeyPair(id);
      const signed = await signAgentCard(keys, id, sampleCard());
      const kids = signed.signatures.map(
        (s) => JSON.parse(new TextDecoder().decode(base64url.decode(s.protected))).kid,
      );
      expect(kids).toEqual([first.kid, next]);
      const all = await keys.jwks([id]);
      for (const kid of kids) {
        await expect(
          verifyAgentCard(signed, {
            algorithms: [algorithm],
            keys,
            keyIds: [id],
            revokedKids: kids.filter((k) => k !== kid),
          }),
        ).resolves.toMatchObject({ kid });
        const jwks = { keys: all.keys.filter((k) => k.kid === kid) };
        await expect(
          verifyAgentCardSignature(async () => importJWK(jwks.keys[0] as never, algorithm))(signed as never),
        ).resolves.toBeUndefined();
        expect(await python('verify', { card: signed, jwks, algorithms: [algorithm] })).toEqual({ ok: true });
      }
      await keys.deleteKeyPair(id);
    });
  }
});
