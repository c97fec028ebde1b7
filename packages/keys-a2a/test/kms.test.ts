/**
 * A card signed by AWS KMS (ministack's KMS, started by tooling/services/ministack/with-ministack.sh, which the
 * package's test script runs): ES256 and EdDSA keys that never leave KMS, KMS's DER ECDSA signatures in JWS
 * form (r || s) through KeyManager's seam, verified by us, @a2a-js/sdk and the Python a2a-sdk.
 */
import { type KeyAlgorithm, KeyManager } from '@phlow/keys-core';
import { createAwsKmsKeyStore } from '@phlow/keystore-aws-kms';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signAgentCard } from '../src/index.js';
import { signatureHeaders, uid, verdicts } from './helpers.js';
import { sampleCard } from './sample-card.mjs';

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
      const kids = signatureHeaders(signed).map((h) => h.kid);
      expect(kids).toEqual([first.kid, next]);
      for (const kid of kids) {
        expect(await verdicts(signed, keys, id, kid, algorithm)).toEqual({
          ours: `verified ${kid}`,
          a2aJs: 'verified',
          python: 'verified',
        });
      }
      await keys.deleteKeyPair(id);
    });
  }
});
