/**
 * verifyAgentCard: is this card signed by a key the verifier trusts? At least one signature must verify with
 * a key from the policy's configuration (trust.ts), under an algorithm the policy allows; the result names
 * that key. Each verification is one `verify` audit event (core's event shape, through the KeyManager's
 * `recordAudit` or the policy's `onAudit`), with the kid and the refusal code, never the card.
 *
 * The payload is rebuilt from the card as received: RFC 8785 over every member but `signatures` (jcs.ts). A
 * card given as text is parsed strictly first (parse.ts: duplicate names, size). Signature checks use core's
 * algorithm table (`ALGORITHMS[alg].verifier`), the same rule KeyManager.verify and keys-jwt apply: ES256 as
 * r || s, Ed25519 refusing small-order keys, RSA of 2048 bits or more.
 */

import type { JsonWebKey } from 'node:crypto';
import { ALGORITHMS, algorithmOfJws, auditEvent, auditFailure, type KeyAuditEvent } from '@phlow/keys-core';
import { base64url } from 'jose';
import { type CardAuditKeys, type CardVerifyingKeys, isPlainObject, unsignedCard } from './card.js';
import {
  AgentCardError,
  type AgentCardErrorCode,
  isAgentCardError,
  type SignatureFailure,
} from './errors.js';
import { canonicalize, DEFAULT_MAX_CARD_BYTES } from './jcs.js';
import { parseAgentCardJson } from './parse.js';
import { type PinnedCardKey, type RemoteCardKeySet, type TrustedKey, TrustedKeys } from './trust.js';

/** The JWS algorithms a policy may allow: core's table (EdDSA, with RFC 9864's Ed25519 name, ES256, RS256). */
export type CardAlgorithm = 'EdDSA' | 'Ed25519' | 'ES256' | 'RS256';
const ALLOWABLE: readonly string[] = ['EdDSA', 'Ed25519', 'ES256', 'RS256'];

export interface AgentCardTrustPolicy {
  /** Required: the `alg` values accepted, e.g. `['EdDSA', 'ES256']`. `none` and HMAC are never accepted. */
  readonly algorithms: readonly CardAlgorithm[];
  /** A KeyManager whose keys of `keyIds` are trusted (current, next and in-grace keys). */
  readonly keys?: CardVerifyingKeys & Partial<CardAuditKeys>;
  /** The ids in `keys` whose keys are trusted. Required with `keys`. */
  readonly keyIds?: readonly string[];
  /** Pinned JWK Sets (keys-jwt `createRemoteKeySet(url)`); their URLs are the only `jku` values followed. */
  readonly jwks?: readonly RemoteCardKeySet[];
  /** Pinned public JWKs, optionally with `notBefore` / `expires` (ms). */
  readonly pinnedKeys?: readonly (PinnedCardKey | JsonWebKey)[];
  /**
   * What a `jku` outside `jwks` does (it is never fetched either way): `'allow-list'` refuses the signature
   * (JKU_REFUSED); `'ignore'` looks the kid up in the configured keys as if there were no `jku` (for a
   * verifier that trusts a KeyManager or pinned keys and cards that name their publisher's JWK Set).
   * Default: `'allow-list'`.
   */
  readonly jku?: 'allow-list' | 'ignore';
  /** Thumbprints refused whatever source has them (KEY_REVOKED). */
  readonly revokedKids?: readonly string[];
  /** Largest card accepted, as text or canonical form. Default: 256 KiB. */
  readonly maxBytes?: number;
  /** Most signatures looked at. Default: 8 (more is TOO_LARGE). */
  readonly maxSignatures?: number;
  /** Where the `verify` audit event goes: default `keys` (when it audits); else `onAudit`. */
  readonly audit?: CardAuditKeys;
  /** Receives the `verify` audit event when no KeyManager records it. */
  readonly onAudit?: (event: KeyAuditEvent) => void;
  /** Clock for pinned-key validity, ms. Default: `Date.now`. */
  readonly now?: () => number;
}

export interface VerifiedAgentCard {
  /** The card as verified (parsed, when text was given). */
  readonly card: Record<string, unknown>;
  /** The thumbprint of the key that verified. */
  readonly kid: string;
  /** The header's `alg`. */
  readonly alg: string;
  /** Where the key came from: `keys` (then `keyId`), `jwks` (then `url`) or `pinned`. */
  readonly source: 'keys' | 'jwks' | 'pinned';
  readonly keyId?: string;
  readonly url?: string;
  /** Position of the signature that verified in `signatures`. */
  readonly index: number;
}

const DEFAULT_MAX_SIGNATURES = 8;
const MAX_HEADER_CHARS = 4096;
const B64URL = /^[A-Za-z0-9_-]*$/;
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
// Header members whose meaning we do not implement (b64 false, crit extensions): such a JWS is not checked.
const NOT_UNDERSTOOD = ['crit', 'b64', 'zip'];

interface Checked {
  readonly ok?: TrustedKey;
  readonly failure?: SignatureFailure;
}

const encoder = new TextEncoder();

function decodeHeader(value: string): Record<string, unknown> | undefined {
  if (value.length === 0 || value.length > MAX_HEADER_CHARS || !B64URL.test(value)) return undefined;
  try {
    const header = parseAgentCardJson(base64url.decode(value), { maxBytes: MAX_HEADER_CHARS });
    return isPlainObject(header) ? header : undefined;
  } catch {
    return undefined;
  }
}

async function checkSignature(
  entry: unknown,
  index: number,
  payload: string,
  trusted: TrustedKeys,
  policy: AgentCardTrustPolicy,
  revoked: ReadonlySet<string>,
  now: number,
): Promise<Checked> {
  const fail = (code: AgentCardErrorCode, kid?: unknown): Checked => ({
    failure: { index, code, ...(typeof kid === 'string' && THUMBPRINT.test(kid) ? { kid } : {}) },
  });
  if (!isPlainObject(entry) || typeof entry.protected !== 'string' || typeof entry.signature !== 'string') {
    return fail('SIGNATURE_MALFORMED');
  }
  if (entry.header !== undefined && !isPlainObject(entry.header)) return fail('SIGNATURE_MALFORMED');
  const header = decodeHeader(entry.protected);
  if (header === undefined) return fail('SIGNATURE_MALFORMED');
  const { alg, kid, jku } = header;
  if (typeof alg !== 'string') return fail('SIGNATURE_MALFORMED');
  // The algorithm decision comes first: `none` and HS256 are refused before any key is looked up.
  const keyAlg = algorithmOfJws(alg);
  if (!policy.algorithms.includes(alg as CardAlgorithm) || keyAlg === undefined)
    return fail('ALG_REFUSED', kid);
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) return fail('SIGNATURE_MALFORMED');
  if (NOT_UNDERSTOOD.some((name) => name in header)) return fail('SIGNATURE_MALFORMED', kid);
  // Only the protected header counts; an unprotected alg/kid/jku could be swapped by anyone.
  if (
    entry.header !== undefined &&
    ['alg', 'kid', 'jku', ...NOT_UNDERSTOOD].some((n) => n in (entry.header as object))
  ) {
    return fail('SIGNATURE_MALFORMED', kid);
  }
  if (!B64URL.test(entry.signature) || entry.signature.length > 1024) return fail('SIGNATURE_MALFORMED', kid);
  if (revoked.has(kid)) return fail('KEY_REVOKED', kid);
  const found = await trusted.find(kid, jku, now);
  if ('refused' in found) {
    if (found.refused === 'KEYS_UNAVAILABLE') throw unavailable(found.cause);
    return fail(found.refused, kid);
  }
  if (found.alg !== keyAlg) return fail('ALG_MISMATCH', kid);
  const input = encoder.encode(`${entry.protected}.${payload}`);
  let signature: Uint8Array;
  try {
    signature = base64url.decode(entry.signature);
  } catch {
    return fail('SIGNATURE_MALFORMED', kid);
  }
  if (!ALGORITHMS[found.alg].verifier(found.key)(input, signature)) return fail('SIGNATURE_INVALID', kid);
  return { ok: found };
}

function unavailable(cause: unknown): AgentCardError {
  return new AgentCardError(
    'KEYS_UNAVAILABLE',
    'the trusted keys could not be read (store or pinned JWK Set): try again later',
    { cause },
  );
}

function checkPolicy(policy: AgentCardTrustPolicy): void {
  if (!isPlainObject(policy))
    throw new AgentCardError('INVALID_ARGUMENT', 'the trust policy must be an object');
  const algs = policy.algorithms;
  if (!Array.isArray(algs) || algs.length === 0) {
    throw new AgentCardError(
      'INVALID_ARGUMENT',
      'the trust policy needs algorithms: the alg values to accept, e.g. ["EdDSA", "ES256"]',
    );
  }
  for (const alg of algs) {
    if (!ALLOWABLE.includes(alg)) {
      throw new AgentCardError(
        'INVALID_ARGUMENT',
        `algorithms may hold only ${ALLOWABLE.join(', ')} (none and HMAC are never accepted for a card)`,
      );
    }
  }
}

/**
 * Verifies `card` (an object, or its JSON text) under `policy` (see the file comment). Returns the key that
 * verified; throws AgentCardError with the refusal's code (each signature's in `failures`), or
 * KEYS_UNAVAILABLE when the trusted keys could not be read.
 */
export async function verifyAgentCard(
  card: unknown,
  policy: AgentCardTrustPolicy,
): Promise<VerifiedAgentCard> {
  checkPolicy(policy);
  const started = performance.now();
  const audit = auditTo(policy);
  try {
    const result = await verifyCard(card, policy);
    audit(result.keyId, { outcome: 'success', valid: true, kid: result.kid });
    return result;
  } catch (error) {
    const refused = isAgentCardError(error) && error.code !== 'KEYS_UNAVAILABLE';
    audit(
      undefined,
      refused
        ? { outcome: 'success', valid: false, errorCode: error.code }
        : auditFailure(isAgentCardError(error) ? (error.cause ?? error) : error),
    );
    throw error;
  }

  function auditTo(p: AgentCardTrustPolicy) {
    const keys =
      p.audit ?? (typeof p.keys?.recordAudit === 'function' ? (p.keys as CardAuditKeys) : undefined);
    return (keyId: string | undefined, fields: Parameters<CardAuditKeys['recordAudit']>[3]) => {
      if (keys?.auditing === true) {
        keys.recordAudit('verify', keyId, started, fields);
      } else if (p.onAudit !== undefined) {
        p.onAudit(auditEvent('verify', started, { storeType: 'a2a', keyId, ...fields }));
      }
    };
  }
}

async function verifyCard(input: unknown, policy: AgentCardTrustPolicy): Promise<VerifiedAgentCard> {
  const maxBytes = policy.maxBytes ?? DEFAULT_MAX_CARD_BYTES;
  const card =
    typeof input === 'string' || input instanceof Uint8Array
      ? parseAgentCardJson(input, { maxBytes })
      : input;
  if (!isPlainObject(card)) throw new AgentCardError('MALFORMED', 'the card must be a JSON object');
  const signatures = card.signatures;
  if (signatures === undefined || (Array.isArray(signatures) && signatures.length === 0)) {
    throw new AgentCardError('UNSIGNED', 'the card has no signatures: ask its publisher for a signed card');
  }
  if (!Array.isArray(signatures)) {
    throw new AgentCardError('SIGNATURE_MALFORMED', 'signatures must be a list of { protected, signature }');
  }
  const maxSignatures = policy.maxSignatures ?? DEFAULT_MAX_SIGNATURES;
  if (signatures.length > maxSignatures) {
    throw new AgentCardError(
      'TOO_LARGE',
      `the card has more than ${maxSignatures} signatures (maxSignatures)`,
    );
  }
  const trusted = new TrustedKeys(policy);
  const payload = base64url.encode(canonicalize(unsignedCard(card), { maxBytes }));
  const revoked = new Set(policy.revokedKids ?? []);
  const now = (policy.now ?? Date.now)();
  const failures: SignatureFailure[] = [];
  for (let index = 0; index < signatures.length; index++) {
    const checked = await checkSignature(signatures[index], index, payload, trusted, policy, revoked, now);
    if (checked.ok !== undefined) {
      const key = checked.ok;
      const header = decodeHeader((signatures[index] as { protected: string }).protected) as { alg: string };
      return {
        card,
        kid: key.kid,
        alg: header.alg,
        source: key.source,
        ...(key.keyId === undefined ? {} : { keyId: key.keyId }),
        ...(key.url === undefined ? {} : { url: key.url }),
        index,
      };
    }
    if (checked.failure) failures.push(checked.failure);
  }
  const first = failures[0] as SignatureFailure;
  throw new AgentCardError(
    first.code,
    `no signature of the card verifies with a trusted key (${describe(failures)})`,
    {
      failures,
    },
  );
}

const REASONS: Partial<Record<AgentCardErrorCode, string>> = {
  SIGNATURE_INVALID: 'the card changed after signing, or another key signed it',
  ALG_REFUSED: 'its alg is not in the policy',
  JKU_REFUSED: 'its jku is not a pinned JWK Set (not fetched)',
  KID_UNKNOWN: 'its key is not trusted',
  KEY_REVOKED: 'its key is revoked',
  KEY_EXPIRED: 'its key is expired or not yet valid',
  ALG_MISMATCH: 'its alg does not fit its key',
  SIGNATURE_MALFORMED: 'it is not a JWS with alg and kid',
};

function describe(failures: readonly SignatureFailure[]): string {
  return failures.map((f) => `signature ${f.index}: ${REASONS[f.code] ?? f.code} (${f.code})`).join('; ');
}
