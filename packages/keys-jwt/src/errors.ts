/**
 * JwtError: why a token was refused (or could not be made), as a `code` a caller can branch on.
 *
 * Store failures (the issuer's keys cannot be read: UNAVAILABLE, ACCESS_DENIED, ...) stay core's KeyStoreError, so a
 * caller can answer 401 to a bad token and 503 to an outage. Messages never contain the token, its claims or
 * key material: a token may be a bearer credential, and an attacker controls every byte of it. Recognise the
 * error with `isJwtError(e)` (by `name`, like KeyStoreError), not `instanceof`.
 */

export type JwtErrorCode =
  /** The token is longer than `maxTokenLength` (default 8192 characters); nothing of it was parsed. */
  | 'TOO_LARGE'
  /**
   * Not a compact JWS of three canonical base64url parts with a strict JSON header and JSON object payload, or
   * a header that makes it something else than a JWT (`crit`, a `typ` other than JWT / application/jwt / +jwt).
   */
  | 'MALFORMED'
  /** `alg` is one we never accept: `none`, an HMAC algorithm (HS256 ...), or anything but EdDSA, Ed25519, RS256. */
  | 'ALG_REFUSED'
  /** `alg` does not fit the key type (an RS256 header on an Ed25519 key, or the other way round). */
  | 'ALG_MISMATCH'
  /**
   * `kid` is not a current or in-grace key of the issuer, also after one refetch from the store (unknown or retired);
   * or, against a remote JWK Set, the token has no `kid` (refused before any fetch or verification).
   */
  | 'KID_UNKNOWN'
  /** The signature does not verify (tampered header or payload, or another key signed it). */
  | 'SIGNATURE_INVALID'
  /** `exp` is in the past (beyond the clock tolerance). */
  | 'EXPIRED'
  /** `nbf` (or `iat`) is in the future (beyond the clock tolerance). A `nbf`/`iat` that is not a number is CLAIM_INVALID. */
  | 'NOT_YET_VALID'
  /** `aud` is not the expected audience, or the token has an `aud` and no audience was expected. */
  | 'AUDIENCE_MISMATCH'
  /** `iss` is not the expected issuer (checked before any store read when `options.issuer` is given). */
  | 'ISSUER_MISMATCH'
  /**
   * The issuer the token's `iss` names (no `keyId` given) has no key in this store: a forged or foreign token.
   * A refusal like the others (not the store's NOT_FOUND); the forged value is not echoed, and `keyId` is unset.
   */
  | 'ISSUER_UNKNOWN'
  /** A required claim is missing or has the wrong type (`exp`; `iss` when no `keyId` is given; a `nbf`, `iat` or `exp` that is not a number). */
  | 'CLAIM_INVALID'
  /** An argument of signJwt / verifyJwt / the handler is wrong (bad `expiresIn`, claims that are not an object, a NaN or negative limit). */
  | 'INVALID_ARGUMENT';

export class JwtError extends Error {
  override readonly name = 'JwtError';
  readonly code: JwtErrorCode;
  /** The key id (issuer) concerned, when known. Ids are not secret. */
  readonly keyId: string | undefined;

  constructor(code: JwtErrorCode, message: string, keyId?: string) {
    super(`[phlow] [jwt] ${message}`);
    this.code = code;
    this.keyId = keyId;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, keyId: this.keyId, message: this.message };
  }
}

/** True for a JwtError from any copy of this package, optionally with the given code. */
export function isJwtError(error: unknown, code?: JwtErrorCode): error is JwtError {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return e.name === 'JwtError' && typeof e.code === 'string' && (code === undefined || e.code === code);
}
