/**
 * signAgentCard: the card with `signatures` set to one detached JWS per key a verifier should accept now.
 *
 * The payload is the card without `signatures`, canonicalized with RFC 8785 (jcs.ts); each signature is
 * `{ protected, signature }` with the protected header `{ alg, kid, typ: "JOSE", jku? }`, `kid` the RFC 7638
 * thumbprint the JWK Set publishes. The signing input is `base64url(header) "." base64url(payload)` and the
 * payload itself is not in the card (RFC 7515 appendix F): the verifier rebuilds it from the card it holds.
 *
 * Which keys: the key that signs now, and during a staged rotation the published next key as well (it is in
 * the JWK Set from the moment of the rotation, and signs from its activation time). A verifier that cached
 * this card across the switch still finds a signature by a key it trusts when the old key leaves its grace
 * period. After an emergency rotation (`revokePrevious`) only the new key is left and signs alone.
 *
 * Every signature goes through KeyManager's one signing seam, so the private key never leaves a signer
 * store (Vault Transit, PKCS#11, KMS): `signDetailed` for the signing key (it names the key that really
 * signed, so a header never names one key over another key's signature: on a switch in between the header
 * is made again) and `signDetailed(id, data, { kid })` for a pending key (core signs with a named key only
 * while it signs or waits for its activation: never one in its grace period or revoked). Both return JWS
 * bytes (ES256 as r || s, core's algorithms.ts) and record one `sign` event each.
 */
import { assertValidKeyId, KeyStoreError, type PublicKeyPair } from '@phlow/keys-core';
import { base64url } from 'jose';
import {
  type AgentCardSignature,
  type CardSigningKeys,
  isPlainObject,
  type SignedAgentCard,
  unsignedCard,
} from './card.js';
import { AgentCardError } from './errors.js';
import { canonicalize, DEFAULT_MAX_CARD_BYTES } from './jcs.js';

export interface SignAgentCardOptions {
  /**
   * `jku`: the URL of the JWK Set that holds the keys (your JWKS endpoint), put in each protected header.
   * https, or http to a loopback address. A verifier fetches it only when its policy pins that URL.
   * Default: none.
   */
  readonly jku?: string | URL;
  /** Refuse a card whose canonical form is over this many bytes. Default: 256 KiB. */
  readonly maxBytes?: number;
}

/** How often the signing key may switch under one signature before signAgentCard gives up (CONFLICT). */
const MAX_ATTEMPTS = 3;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The jku as written in headers: a URL that verifiers may pin. */
export function checkJku(jku: string | URL): string {
  let url: URL;
  try {
    url = new URL(jku);
  } catch {
    throw new AgentCardError('INVALID_ARGUMENT', 'jku must be an absolute https URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new AgentCardError(
      'INVALID_ARGUMENT',
      'jku must be an https URL (http only to a loopback address)',
    );
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') {
    throw new AgentCardError('INVALID_ARGUMENT', 'jku must not carry credentials or a fragment');
  }
  return url.href;
}

const encoder = new TextEncoder();

function protectedHeader(pair: PublicKeyPair, jku: string | undefined): string {
  const header = { alg: pair.alg, kid: pair.kid, typ: 'JOSE', ...(jku === undefined ? {} : { jku }) };
  return base64url.encode(JSON.stringify(header));
}

/**
 * Signs `card` with the keys of `keyId` (see the file comment). Existing `signatures` are replaced. Throws
 * INVALID_ARGUMENT (AgentCardError) for a card that is not a plain object or a bad `jku`, NOT_CANONICAL or
 * TOO_LARGE for a card RFC 8785 cannot write, and the store's KeyStoreError when the key cannot sign.
 */
export async function signAgentCard(
  keys: CardSigningKeys,
  keyId: string,
  card: Readonly<Record<string, unknown>>,
  options: SignAgentCardOptions = {},
): Promise<SignedAgentCard> {
  assertValidKeyId(keyId, keys.store.type);
  if (!isPlainObject(card))
    throw new AgentCardError('INVALID_ARGUMENT', 'the card must be a plain JSON object');
  const jku = options.jku === undefined ? undefined : checkJku(options.jku);
  const unsigned = unsignedCard(card);
  const payload = base64url.encode(
    canonicalize(unsigned, { maxBytes: options.maxBytes ?? DEFAULT_MAX_CARD_BYTES }),
  );

  const signatures: AgentCardSignature[] = [];
  let signing: PublicKeyPair | undefined;
  for (let attempt = 1; signing === undefined; attempt++) {
    const pair = await keys.getPublicKeyPair(keyId);
    const header = protectedHeader(pair, jku);
    const signed = await keys.signDetailed(keyId, `${header}.${payload}`);
    if (signed.kid === pair.kid) {
      signing = pair;
      signatures.push({ protected: header, signature: base64url.encode(signed.signature) });
    } else if (attempt >= MAX_ATTEMPTS) {
      throw new KeyStoreError(
        'CONFLICT',
        `the signing key of "${keyId}" changed ${MAX_ATTEMPTS} times while a card was signed: try again`,
        { keyId, storeType: keys.store.type },
      );
    }
  }
  // Verifying keys come newest first: those before the signing key are published and not yet signing.
  const verifying = await keys.getVerificationKeys(keyId);
  const at = verifying.findIndex((pair) => pair.kid === signing.kid);
  for (const next of verifying.slice(0, Math.max(at, 0))) {
    const header = protectedHeader(next, jku);
    const signed = await keys.signDetailed(keyId, encoder.encode(`${header}.${payload}`), { kid: next.kid });
    signatures.push({ protected: header, signature: base64url.encode(signed.signature) });
  }
  const result: Record<string, unknown> = unsigned;
  result.signatures = signatures;
  return result as SignedAgentCard;
}
