/**
 * The shapes this package reads and writes: an A2A Agent Card as JSON (only `signatures` is ours to read;
 * every other member is signed as given) and one entry of its `signatures` (A2A spec section 8.4,
 * `AgentCardSignature`: a detached JWS, RFC 7515 appendix F, in the flattened JSON serialisation).
 */
import type { KeyManager } from '@phlow/keys-core';

/** One signature of a card: base64url protected header and signature, optional unprotected header. */
export interface AgentCardSignature {
  readonly protected: string;
  readonly signature: string;
  readonly header?: Readonly<Record<string, unknown>>;
}

/** An Agent Card: any JSON object; `signatures` is replaced by signAgentCard and checked by verifyAgentCard. */
export interface AgentCard {
  readonly signatures?: readonly AgentCardSignature[];
  readonly [member: string]: unknown;
}

/** A card with its signatures. */
export interface SignedAgentCard extends AgentCard {
  readonly signatures: readonly AgentCardSignature[];
}

/** What signing asks of KeyManager (a structural type, so two copies of core still fit). */
export type CardSigningKeys = Pick<
  KeyManager,
  'getPublicKeyPair' | 'getVerificationKeys' | 'signDetailed' | 'store'
>;

/** What verification asks of a KeyManager that holds the trusted ids. */
export type CardVerifyingKeys = Pick<KeyManager, 'getKeyByKid' | 'store'>;

/** What auditing asks of a KeyManager: core's one audit hook. */
export type CardAuditKeys = Pick<KeyManager, 'auditing' | 'recordAudit'>;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The card without `signatures`: the object its signatures cover. */
export function unsignedCard(card: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(card)) {
    if (name !== 'signatures') {
      Object.defineProperty(copy, name, {
        value: card[name],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return copy;
}
