/**
 * RemoteKeySetError: why a remote JWK Set (createRemoteKeySet) could not be fetched or was refused, as a `code`
 * a caller can branch on. Messages name the set's URL (configuration, not network input) and never contain the
 * response body, a key, or a member of one: the body is hostile until verified, and a set that publishes a
 * private key must not have it copied into logs. Recognise it with `isRemoteKeySetError(e)` (by `name`).
 */

export type RemoteKeySetErrorCode =
  /** The URL or an option is wrong (not http(s), credentials in the URL, a NaN or negative bound). */
  | 'INVALID_ARGUMENT'
  /** `http:` to anything but a loopback address, or `http:` to loopback without `allowInsecureLoopback`. */
  | 'INSECURE_URL'
  /** The host resolves to an address the policy refuses (private, loopback, link-local, ...), or does not resolve. */
  | 'ADDRESS_REFUSED'
  /** The server answered with a redirect; redirects are never followed (the target receives nothing). */
  | 'REDIRECT_REFUSED'
  /** The whole fetch (DNS, connect, TLS, headers, body) did not finish within `timeoutMs`. */
  | 'TIMEOUT'
  /** The body is larger than `maxBytes` (declared or counted while reading); the rest was not read. */
  | 'TOO_LARGE'
  /** The set has more than `maxKeys` keys. */
  | 'TOO_MANY_KEYS'
  /** Not a JWK Set: wrong media type, not JSON, duplicate member names, too deep, no `keys` array, a compressed body. */
  | 'BAD_RESPONSE'
  /** The connection failed, or the server answered with a status other than 200 (or 304 to a revalidation). */
  | 'FETCH_FAILED'
  /** `close()` was called: the set serves nothing more. */
  | 'CLOSED';

export class RemoteKeySetError extends Error {
  override readonly name = 'RemoteKeySetError';
  readonly code: RemoteKeySetErrorCode;
  /** The set's URL (without query or fragment). */
  readonly url: string | undefined;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** Milliseconds the server asked us to wait (`Retry-After` of a 429 or 503), when it did. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: RemoteKeySetErrorCode,
    message: string,
    options: { url?: string; status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(
      `[phlow] [remote-jwks] ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.url = options.url;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, url: this.url, status: this.status, message: this.message };
  }
}

/** True for a RemoteKeySetError from any copy of this package, optionally with the given code. */
export function isRemoteKeySetError(
  error: unknown,
  code?: RemoteKeySetErrorCode,
): error is RemoteKeySetError {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return (
    e.name === 'RemoteKeySetError' && typeof e.code === 'string' && (code === undefined || e.code === code)
  );
}
