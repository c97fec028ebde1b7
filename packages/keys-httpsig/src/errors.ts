/**
 * HttpSigError: why a request signature was refused (or could not be made), as a `code` a caller branches on.
 *
 * Messages never quote header values, signatures or key material: every byte of a request comes from whoever
 * sent it. Store failures (the agent's own keys cannot be read) stay core's KeyStoreError; a directory that
 * cannot be fetched keeps keys-jwt's error as `cause`. Recognise it with `isHttpSigError(e)` (by `name`).
 */

export type HttpSigErrorCode =
  /** No `Signature-Input`/`Signature` pair, or no signature with the expected tag. */
  | 'MISSING_SIGNATURE'
  /** A header does not parse as an RFC 8941 structured field, is too long, or a parameter has the wrong type. */
  | 'MALFORMED'
  /** A signature label appears twice (in one header or across header lines). */
  | 'DUPLICATE_LABEL'
  /** `alg` is one we never accept (an HMAC algorithm, RSA-PSS, anything not in core's algorithm table) or does not fit the key. */
  | 'ALG_REFUSED'
  /** A required component is not covered (`@authority`/`@target-uri`, `signature-agent`, `content-digest` for a body). */
  | 'COMPONENT_MISSING'
  /** `created`/`expires` missing, `expires` before `created`, or a window over the allowed maximum. */
  | 'PARAMS_INVALID'
  /** `tag` is missing or not the expected one (`web-bot-auth`). */
  | 'TAG_MISMATCH'
  /** `expires` is in the past (beyond the stated skew). */
  | 'EXPIRED'
  /** `created` is in the future (beyond the stated skew). */
  | 'NOT_YET_VALID'
  /** The nonce was seen before within the window, or a nonce store was given and the signature has none. */
  | 'REPLAYED'
  /**
   * The signature verified, but the nonce store has no room for its nonce: it is full of nonces that have not
   * expired (`maxEntries`), and forgetting one would let it be replayed. Not a replay: raise `maxEntries`,
   * shorten signature lifetimes, or use a shared store sized for the traffic.
   */
  | 'NONCE_STORE_FULL'
  /**
   * The signature verified, but its signer holds as many unexpired nonces as the nonce store allows one signer
   * (`maxEntriesPerSigner`): refused until some expire, so one signer cannot lock the others out.
   */
  | 'NONCE_QUOTA_EXCEEDED'
  /** The request's authority (host, port) is not one of `options.authorities`: signed for another origin. */
  | 'AUTHORITY_REFUSED'
  /** `Signature-Agent` is missing, malformed, or outside the policy (origin not allowed, not HTTPS). Nothing was fetched. */
  | 'AGENT_REFUSED'
  /** The directory could not be fetched or was refused (redirect, size, key count, address, media type). */
  | 'DIRECTORY_UNAVAILABLE'
  /** `keyid` is not a key of the directory (or of the local key id) now. */
  | 'KEY_UNKNOWN'
  /** The body does not match `Content-Digest`, or the digest algorithm is not sha-256/sha-512. */
  | 'DIGEST_MISMATCH'
  /** The signature does not verify (a tampered component, or another key signed it). */
  | 'SIGNATURE_INVALID'
  /** An argument of the signer, verifier or handler is wrong. */
  | 'INVALID_ARGUMENT';

export class HttpSigError extends Error {
  override readonly name = 'HttpSigError';
  readonly code: HttpSigErrorCode;

  constructor(code: HttpSigErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[phlow] [httpsig] ${message}`, options);
    this.code = code;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** True for an HttpSigError from any copy of this package, optionally with the given code. */
export function isHttpSigError(error: unknown, code?: HttpSigErrorCode): error is HttpSigError {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return e.name === 'HttpSigError' && (code === undefined || e.code === code);
}
