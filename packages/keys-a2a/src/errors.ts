/**
 * AgentCardError: why a card was refused (or could not be signed or served), as a `code` a caller can branch on.
 *
 * Store failures (the signer's or the verifier's keys cannot be read: UNAVAILABLE, ACCESS_DENIED, ...) stay
 * core's KeyStoreError, so a caller can tell "this card is not trusted" from "could not check". Messages never
 * quote the card, a header or a key: an attacker controls every byte of a card, and a pinned key may be a
 * private JWK passed by mistake. Recognise it with `isAgentCardError(e)` (by `name`), not `instanceof`.
 */

export type AgentCardErrorCode =
  /** The card (text or object) is over `maxBytes` (default 256 KiB) or nested deeper than 64: nothing of it was checked. */
  | 'TOO_LARGE'
  /** The card text is not JSON (RFC 8259), or the card is not a JSON object. */
  | 'MALFORMED'
  /** An object of the card text has the same member name twice: which one counts is undefined (RFC 8259 4), so the card is refused. */
  | 'DUPLICATE_KEY'
  /**
   * A value RFC 8785 does not define: a non-finite number (NaN, Infinity), a string with a lone surrogate, a
   * number outside IEEE 754 double range, or a JavaScript value that is not JSON (undefined, a function, a
   * BigInt, a Date or another non-plain object, a cycle).
   */
  | 'NOT_CANONICAL'
  /** The card has no `signatures`, or an empty list. */
  | 'UNSIGNED'
  /** A signature entry is not `{ protected, signature, header? }` of base64url strings with a JSON-object protected header holding `alg` and `kid`. */
  | 'SIGNATURE_MALFORMED'
  /** `alg` is not in the policy's `algorithms` (always refused: `none`, HMAC algorithms such as HS256). */
  | 'ALG_REFUSED'
  /** `alg` does not fit the key that `kid` names (ES256 on an Ed25519 key, ...). */
  | 'ALG_MISMATCH'
  /** `jku` is not one of the policy's pinned JWK Set URLs (policy `jku: 'allow-list'`, the default); it was not fetched. */
  | 'JKU_REFUSED'
  /** No trusted key has this `kid` (the policy's KeyManager ids, pinned JWK Sets and pinned keys). */
  | 'KID_UNKNOWN'
  /** The key is in the policy's `revokedKids`. */
  | 'KEY_REVOKED'
  /** The key is outside its `nbf`/`exp` (a pinned key's or a JWK Set's). */
  | 'KEY_EXPIRED'
  /** The signature does not verify: the card changed after signing, another key signed, or it was forged. */
  | 'SIGNATURE_INVALID'
  /** The trusted keys could not be read (a pinned JWK Set that cannot be fetched and has no keys to serve stale). */
  | 'KEYS_UNAVAILABLE'
  /** An argument of signAgentCard / verifyAgentCard / the handler is wrong (no `algorithms`, no trust source, a bad `jku`). */
  | 'INVALID_ARGUMENT';

export class AgentCardError extends Error {
  override readonly name = 'AgentCardError';
  readonly code: AgentCardErrorCode;
  /** For a verification refusal: each signature's own refusal, in card order (only codes and kids, which are thumbprints). */
  readonly failures: readonly SignatureFailure[] | undefined;

  constructor(
    code: AgentCardErrorCode,
    message: string,
    options: { readonly failures?: readonly SignatureFailure[]; readonly cause?: unknown } = {},
  ) {
    super(`[phlow] [a2a] ${message}`, options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.failures = options.failures;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, failures: this.failures };
  }
}

/** Why one signature of a card was not accepted. */
export interface SignatureFailure {
  /** Position in `signatures`. */
  readonly index: number;
  readonly code: AgentCardErrorCode;
  /** The header's kid when it is a plausible thumbprint (43 base64url characters), else undefined. */
  readonly kid?: string;
}

/** True for an AgentCardError from any copy of this package, optionally with the given code. */
export function isAgentCardError(error: unknown, code?: AgentCardErrorCode): error is AgentCardError {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return e.name === 'AgentCardError' && typeof e.code === 'string' && (code === undefined || e.code === code);
}
