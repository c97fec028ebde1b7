/**
 * signJwt: a compact JWS of an agent's claims, signed with the key that signs for it now.
 *
 * The header is `{ alg, kid, typ: "JWT" }`: `alg` is core's table's for the key (EdDSA for Ed25519, ES256 for
 * P-256, RS256 for RSA of 2048 bits or more),
 * `kid` is the RFC 7638 thumbprint the JWK Set publishes, so any JWKS-aware verifier (jose, PyJWT's
 * PyJWKClient, ours) finds the key without knowing our store. `iat` and `exp` are always set: short-lived
 * tokens are the point, and the Python Phlow middleware refuses tokens without them.
 *
 * The signature comes from KeyManager's one signing seam: native node:crypto in process, or the backend
 * itself for a store whose keys never leave it (Vault Transit, an HSM, KMS). Its bytes are already in JWS
 * form (ES256: r || s), so this file only serialises the JWS Compact form (RFC 7515 section 7.1: base64url of
 * the header and of the claims, a dot, and base64url of the signature over both); verification stays jose's.
 * Each token is then a `sign` event in the audit trail, with the kid and version used.
 */
import { assertValidKeyId, isKeyStoreError, KeyStoreError } from '@phlow/keys-core';
import { parseDuration } from '@phlow/keys-core/adapter';
import { base64url, type JWTPayload } from 'jose';
import { JwtError } from './errors.js';
import type { JwtKeys } from './keys.js';

/** Tokens longer than this are refused by verifyJwt and by the Python Phlow middleware (8192 characters). */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

export interface SignJwtOptions {
  /** Lifetime: seconds, or "90s", "5m", "1h", "1d" (at most 1 day). Default: 300 s (5 minutes). */
  readonly expiresIn?: number | string;
  /** `aud`: the agent (or agents) the token is for. Default: none (see the README on Python verifiers). */
  readonly audience?: string | readonly string[];
  /** `iss`. Default: `claims.iss`, else the key id. */
  readonly issuer?: string;
  /** `sub`. Default: none. */
  readonly subject?: string;
  /** `nbf`, seconds after `iat`. Default: none. */
  readonly notBeforeSeconds?: number;
  /** Refuse to make a token longer than this many characters. Default: 8192. */
  readonly maxTokenLength?: number;
  /** Clock, for tests. Default: `Date.now`. */
  readonly now?: () => number;
}

/** Longest lifetime signJwt accepts: 1 day. Agent tokens are meant to be short-lived. */
export const MAX_EXPIRES_IN_SECONDS = 86_400;

/**
 * Seconds of a token lifetime: a number of seconds, or a duration in core's one grammar ("90s", "5m", "1h",
 * "1d", plain seconds). INVALID_ARGUMENT unless whole seconds from 1 s to MAX_EXPIRES_IN_SECONDS, so a typo
 * cannot mint a token that lives for years.
 */
export function parseExpiresIn(value: number | string): number {
  let seconds = Number.NaN;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string') {
    try {
      seconds = parseDuration(value, 'expiresIn') / 1000;
    } catch (error) {
      if (!isKeyStoreError(error)) throw error;
    }
  }
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_EXPIRES_IN_SECONDS) {
    throw new JwtError(
      'INVALID_ARGUMENT',
      `expiresIn must be whole seconds or a duration like "90s", "5m", "1h", between 1 s and ${MAX_EXPIRES_IN_SECONDS / 3600} h`,
    );
  }
  return seconds;
}

// Time claims are always computed here (from the clock and the options), so a caller cannot mint a token
// that outlives MAX_EXPIRES_IN_SECONDS. `iss`, `aud` and `sub` may come from claims; the options win.
const RESERVED = ['iat', 'exp', 'nbf'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Signs `claims` as a JWT with the signing key of `keyId`. UNSUPPORTED (KeyStoreError) for key types other
 * than Ed25519, P-256 and RSA ≥ 2048, INVALID_KEY for a key core's table refuses; INVALID_ARGUMENT (JwtError)
 * for bad claims or options.
 */
export async function signJwt(
  keys: JwtKeys,
  keyId: string,
  claims: Record<string, unknown> = {},
  options: SignJwtOptions = {},
): Promise<string> {
  assertValidKeyId(keyId, keys.store.type);
  if (!isPlainObject(claims)) throw new JwtError('INVALID_ARGUMENT', 'claims must be a plain object', keyId);
  for (const name of RESERVED) {
    if (name in claims) {
      throw new JwtError(
        'INVALID_ARGUMENT',
        `set "${name}" through the options (expiresIn, notBeforeSeconds), not in claims`,
        keyId,
      );
    }
  }
  const lifetime = parseExpiresIn(options.expiresIn ?? 300);
  const maxLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  const iat = Math.floor((options.now ?? Date.now)() / 1000);
  const payload: JWTPayload = { ...claims, iat, exp: iat + lifetime };
  payload.iss = options.issuer ?? (typeof claims.iss === 'string' ? claims.iss : keyId);
  if (options.audience !== undefined) {
    payload.aud = typeof options.audience === 'string' ? options.audience : [...options.audience];
  }
  if (options.subject !== undefined) payload.sub = options.subject;
  if (options.notBeforeSeconds !== undefined) {
    if (!Number.isInteger(options.notBeforeSeconds) || options.notBeforeSeconds < 0) {
      throw new JwtError('INVALID_ARGUMENT', 'notBeforeSeconds must be a whole number ≥ 0', keyId);
    }
    payload.nbf = iat + options.notBeforeSeconds;
  }
  let body: string;
  try {
    body = base64url.encode(JSON.stringify(payload));
  } catch {
    // Claims JSON cannot hold (a BigInt, a cycle); the message of the TypeError may quote them.
    throw new JwtError('INVALID_ARGUMENT', 'claims must be JSON-serialisable', keyId);
  }
  const token = await signCompact(keys, keyId, body);
  if (token.length > maxLength) {
    throw new JwtError(
      'INVALID_ARGUMENT',
      `the token would be ${token.length} characters, more than maxTokenLength (${maxLength}) verifiers accept: send fewer claims`,
      keyId,
    );
  }
  return token;
}

/** How often signJwt names a key and finds that another one signed (a rotation activating in between). */
const MAX_ATTEMPTS = 3;

/**
 * The JWS Compact form of `body` signed by the key that signs for `keyId` now. The header names that key
 * (`kid`) and its algorithm before it is signed, and `signDetailed` says which key really signed: if the
 * signing key switched in between (a staged rotation activating), the header is made again for the new key,
 * so a token's kid and its signature never come from two keys. The pair is asked for publicly (no private
 * key is handed out; a signer store has none), and each signature is one `sign` audit event.
 */
async function signCompact(keys: JwtKeys, keyId: string, body: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const pair = await keys.getPublicKeyPair(keyId);
    // core's table: UNSUPPORTED / INVALID_KEY for a key it refuses, before anything is signed
    const header = base64url.encode(JSON.stringify({ alg: pair.alg, kid: pair.kid, typ: 'JWT' }));
    const input = `${header}.${body}`;
    const signed = await keys.signDetailed(keyId, input);
    if (signed.kid === pair.kid) return `${input}.${base64url.encode(signed.signature)}`;
    if (attempt >= MAX_ATTEMPTS) {
      throw new KeyStoreError(
        'CONFLICT',
        `the signing key of "${keyId}" changed ${MAX_ATTEMPTS} times while a token was signed: try again`,
        { keyId, storeType: keys.store.type },
      );
    }
  }
}
