/**
 * A card signed inside a PKCS#11 token: the throw-away SoftHSM2 token (Debian's softhsm2 2.6.1) that
 * tooling/services/softhsm/with-token.sh makes, which the package's test script runs. Ed25519 keys
 * (CKM_EC_EDWARDS_KEY_PAIR_GEN, signing with CKM_EDDSA) and P-256 keys (CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, r || s)
 * generated on the token, sensitive and non-extractable; both signatures of a staged rotation are made by the
 * token through KeyManager's seam, and each verifies alone with ours, @a2a-js/sdk and the Python a2a-sdk. A
 * card changed after signing is refused by all three.
 */
import { type KeyAlgorithm, KeyManager } from '@phlow/keys-core';
import { createPkcs11KeyStore } from '@phlow/keystore-pkcs11';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signAgentCard } from '../src/index.js';
import { signatureHeaders, uid, verdicts } from './helpers.js';
import { sampleCard } from './sample-card.mjs';

const TOKEN_VARIABLES = [
  'PHLOW_PKCS11_MODULE',
  'PHLOW_PKCS11_TOKEN',
  'PHLOW_PKCS11_PIN_FILE',
  'SOFTHSM2_CONF',
];

let keys: KeyManager;
beforeAll(() => {
  const missing = TOKEN_VARIABLES.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} not set: run through tooling/services/softhsm/with-token.sh (pnpm test does)`,
    );
  }
  vi.spyOn(console, 'debug').mockImplementation(() => {});
  keys = new KeyManager({
    store: createPkcs11KeyStore({ env: process.env }),
    env: {},
    rotationDelayMs: 600_000,
  });
});
afterAll(() => keys?.close());

describe('signAgentCard in a PKCS#11 token (SoftHSM2)', () => {
  for (const algorithm of ['EdDSA', 'ES256'] as KeyAlgorithm[]) {
    it(`${algorithm}: the signing and the next key sign inside the token; every verifier accepts each and refuses an altered card`, async () => {
      const id = uid(`p11-${algorithm.toLowerCase()}`);
      try {
        const first = await keys.createKey(id, { algorithm });
        expect(first.alg).toBe(algorithm);
        // The key is the token's: there is no private half to read.
        await expect(keys.getKeyPair(id)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
        const { kid: next } = await keys.rotateKeyPair(id);
        const signed = await signAgentCard(keys, id, sampleCard());
        expect(signatureHeaders(signed)).toEqual([
          { kid: first.kid, alg: algorithm },
          { kid: next, alg: algorithm },
        ]);
        for (const kid of [first.kid, next]) {
          expect(await verdicts(signed, keys, id, kid, algorithm)).toEqual({
            ours: `verified ${kid}`,
            a2aJs: 'verified',
            python: 'verified',
          });
        }

        // Python's InvalidSignaturesError does not say whether the key was tried: the unaltered card verified
        // above with the same one-key JWK Set, so this refusal is the changed description's.
        const altered = { ...signed, description: `${signed.description}, and sells umbrellas` };
        for (const kid of [first.kid, next]) {
          expect(await verdicts(altered, keys, id, kid, algorithm)).toEqual({
            ours: 'refused SIGNATURE_INVALID',
            a2aJs: 'refused by the signature check',
            python: 'refused InvalidSignaturesError',
          });
        }
      } finally {
        await keys.deleteKeyPair(id);
      }
    });
  }
});
