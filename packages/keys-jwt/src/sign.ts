/**
 * signJwt: a compact JWS of an agent's claims, signed with the key that signs for it now.
 *
 * The header is `{ alg, kid, typ: "JWT" }`: `alg` follows the key type (EdDSA for Ed25519, RS256 for RSA),
 * `kid` is the RFC 7638 thumbprint the JWK Set publishes, so any JWKS-aware verifier (jose, PyJWT's
 * PyJWKClient, ours) finds the key without knowing our store. `iat` and `exp` are always set: short-lived
 * tokens are the point, and the Python Phlow middleware refuses tokens without them.
 *
 * The signature comes from KeyManager's one signing seam (`signWithKey`): native node:crypto in process,
 * or the backend itself for a store whose keys never leave it (Vault Transit, an HSM, KMS), where no key
 * object exists for jose to sign with. So this file serialises the JWS Compact form (RFC 7515 section 7.1:
 * base64url of the header and of the claims, a dot, and base64url of the signature over both); verification
 * stays entirely jose's. Each token is then a `sign` event in the audit trail, with the kid and version used.
 * With an older core (no seam) jose signs with the pair's private key.
 */
import { assertValidKeyId, type KeyPair } from '@phlow/keys-core';
import { base64url, type JWTPayload, SignJWT } from 'jose';
import { parseExpiresIn } from './duration.js';
import { JwtError } from './errors.js';
import { type JwtKeys, privateKeyObject, signingAlg, signingKeyPair, signingSeam } from './keys.js';

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
 * than Ed25519 and RSA ≥ 2048; INVALID_ARGUMENT (JwtError) for bad claims or options.
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
  const pair = await signingKeyPair(keys, keyId);
  const alg = signingAlg(pair);
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
  const header = { alg, kid: pair.kid, typ: 'JWT' };
  const seam = signingSeam(keys);
  let token: string;
  try {
    if (seam) {
      const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
      token = `${input}.${base64url.encode(await seam.signWithKey(pair, input))}`;
    } else {
      token = await new SignJWT(payload).setProtectedHeader(header).sign(privateKeyObject(pair as KeyPair));
    }
  } catch (error) {
    // jose fails here only on claims it cannot serialise (a BigInt, a cycle); its message may quote them.
    if (error instanceof TypeError) {
      throw new JwtError('INVALID_ARGUMENT', 'claims must be JSON-serialisable', keyId);
    }
    throw error;
  }
  if (token.length > maxLength) {
    throw new JwtError(
      'INVALID_ARGUMENT',
      `the token would be ${token.length} characters, more than maxTokenLength (${maxLength}) verifiers accept: send fewer claims`,
      keyId,
    );
  }
  return token;
}
