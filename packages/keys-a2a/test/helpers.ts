// Shared fixtures: a KeyManager on a memory store (the clock the tests move is @phlow/test-support/clock, the
// sample card test/sample-card.mjs, which the bench reads too), and the three verifiers a card signed in a
// backend (KMS, a PKCS#11 token) is checked with.
import { verifyAgentCardSignature } from '@a2a-js/sdk';
import { createMemoryKeyStore, KeyManager, type KeyStore } from '@phlow/keys-core';
import { base64url, importJWK } from 'jose';
import { type CardAlgorithm, isAgentCardError, verifyAgentCard } from '../src/index.js';
import { python } from './python.js';

/** A KeyManager with a staged rotation delay of `delayMs` (default 10 min) and a 1 h grace period. */
export function manager(
  store: KeyStore = createMemoryKeyStore(),
  now: () => number = Date.now,
  delayMs = 600_000,
  extra: Record<string, unknown> = {},
): KeyManager {
  return new KeyManager({
    store,
    env: {},
    now,
    rotationGracePeriodMs: 3_600_000,
    rotationDelayMs: delayMs,
    cache: { refetchCooldownMs: 0 },
    ...extra,
  });
}

/** A key id no other run on the same backend uses. */
export const uid = (label: string) =>
  `a2a-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

/** The `kid` and `alg` of each signature's protected header, in the card's order. */
export function signatureHeaders(card: {
  readonly signatures: readonly { readonly protected: string }[];
}): { kid: string; alg: string }[] {
  return card.signatures.map((s) => {
    const { kid, alg } = JSON.parse(new TextDecoder().decode(base64url.decode(s.protected)));
    return { kid, alg };
  });
}

/** What each verifier answered: `verified`, or `refused` and why (our code, the Python exception's name). */
export interface Verdicts {
  readonly ours: string;
  readonly a2aJs: string;
  readonly python: string;
}

/**
 * What our verifier, @a2a-js/sdk's `verifyAgentCardSignature` and the Python a2a-sdk say of `card` when the
 * one key they trust is `kid` (a published key of `keyId` in `keys`): ours with every other kid of the card in
 * `revokedKids`; @a2a-js/sdk with a key lookup that answers for `kid` only (it accepts a card when any one
 * signature verifies); Python with a JWK Set of that key alone. A refusal says why, so a test tells "the
 * signature does not verify" from "the key was never tried": ours gives the code of `kid`'s own signature,
 * @a2a-js/sdk whether its lookup handed out the key (a refusal after that is jose's signature check), Python
 * the exception's name (InvalidSignaturesError for a bad signature and an untried key alike: compare with the
 * verdict on the unaltered card). @a2a-js/sdk logs each failed signature with console.debug: silence it in the test.
 */
export async function verdicts(
  card: { readonly signatures: readonly { readonly protected: string }[] },
  keys: KeyManager,
  keyId: string,
  kid: string,
  algorithm: CardAlgorithm,
): Promise<Verdicts> {
  const others = signatureHeaders(card)
    .map((h) => h.kid)
    .filter((k) => k !== kid);
  const ours = await verifyAgentCard(card, {
    algorithms: [algorithm],
    keys,
    keyIds: [keyId],
    revokedKids: others,
  }).then(
    (verified) => `verified ${verified.kid}`,
    (e: unknown) => {
      if (!isAgentCardError(e)) throw e;
      return `refused ${(e.failures ?? [])
        .filter((f) => f.kid === kid)
        .map((f) => f.code)
        .join(' ')}`;
    },
  );
  const jwk = (await keys.jwks([keyId])).keys.find((k) => k.kid === kid);
  if (!jwk) throw new Error(`${kid} is not a published key of ${keyId}`);
  let handedOut = false;
  const a2aJs = await verifyAgentCardSignature(async (asked) => {
    if (asked !== kid) throw new Error('not the trusted key');
    handedOut = true;
    return importJWK(jwk as never, algorithm);
  })(card as never).then(
    () => 'verified',
    () => (handedOut ? 'refused by the signature check' : 'refused before the key was tried'),
  );
  const answer = (await python('verify', { card, jwks: { keys: [jwk] }, algorithms: [algorithm] })) as {
    ok: boolean;
    error?: string;
  };
  return { ours, a2aJs, python: answer.ok ? 'verified' : `refused ${answer.error}` };
}
