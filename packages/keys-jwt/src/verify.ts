/**
 * verifyJwt: checks a token against the current and in-grace keys of its issuer in our key store.
 *
 * Order matters for safety: the options first (a NaN or negative limit is INVALID_ARGUMENT, never a limit
 * turned off), then the size (nothing of an oversized token is parsed), then the algorithm (alg none and HMAC
 * are refused before any key is looked up, so a public key can never be used as an HMAC secret), then the
 * `issuer` allow-list (ISSUER_MISMATCH before any store read), then the key (by `kid`, through KeyManager's
 * `getKeyByKid`, which rereads the issuer's versions on an unknown kid once per its refetch cooldown; or, for
 * tokens without `kid` such as the Python Phlow's, each of the issuer's keys of the alg), then the signature,
 * and only then the claims: a forged token learns nothing about expiry or audience checks.
 *
 * The unverified `iss` never decides how much work the store does: it is read with `unverified: true`, so
 * KeyManager's unverified-read gate (core's unverified-reads.ts) answers an id the store lacks from its
 * negative cache or id list without a per-id read, and bounds the rest; such an issuer is refused as
 * ISSUER_UNKNOWN, a refusal like any other, and the forged value is never echoed (not in the message, not
 * in `keyId`, not in the audit event).
 *
 * Which alg fits which key is core's algorithm table (`algorithmOfJws`, `pair.alg`): EdDSA or RFC 9864's
 * Ed25519 for Ed25519 keys, ES256 for P-256, RS256 for RSA. A key the table refuses (a small-order or
 * non-canonical Ed25519 key, under which OpenSSL before 3.6 accepts forged signatures; RSA under 2048 bits)
 * verifies nothing here, exactly as KeyManager.verify refuses it, before jose (OpenSSL) sees the token.
 *
 * With auditing on (an `onEvent` hook or PHLOW_KEY_AUDIT_LOG), each call is one `verify` event through the
 * KeyManager: valid with the verifying kid and version, or refused with the JwtError code, or failed with the
 * store's code. The token and its claims never enter the event.
 */
import {
  type AuditFields,
  algorithmOfJws,
  auditFailure,
  isKeyStoreError,
  isValidKeyId,
  type PublicKeyPair,
} from '@phlow/keys-core';
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import { checkClaims } from './claims.js';
import { isJwtError, JwtError, type JwtErrorCode } from './errors.js';
import { acceptedAlg, type JwtKeys, signatureCheck } from './keys.js';
import { isRemoteKeySet, isRemoteView, remoteJwtKeys, remoteKeyId } from './remote-jwt-keys.js';
import type { RemoteKeySet } from './remote-key-set.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from './sign.js';
import { parseStrictJson } from './strict-json.js';

export interface VerifyJwtOptions {
  /** Whose keys verify the token. Default: the token's `iss` claim, which must then be a valid key id. */
  readonly keyId?: string;
  /**
   * Expected `aud`. Default: none expected, and a token that names an audience is then refused
   * (AUDIENCE_MISMATCH), so a token meant for another agent cannot be replayed here.
   */
  readonly audience?: string | readonly string[];
  /**
   * Expected `iss`: an allow-list, checked before any store read (ISSUER_MISMATCH, nothing read). Default: the
   * key id (a token without `iss` is accepted when `keyId` is given).
   */
  readonly issuer?: string | readonly string[];
  /** Slack for `exp`, `nbf` and `iat`, in seconds (a finite number, 0 or more). Default: 30. */
  readonly clockToleranceSeconds?: number;
  /** Refuse tokens whose `iat` is older than this many seconds, 0 or more (and require `iat`). Default: no limit. */
  readonly maxTokenAgeSeconds?: number;
  /** Refuse longer tokens unparsed (TOO_LARGE): a whole number, 1 or more. Default: 8192 characters, the Python Phlow's limit. */
  readonly maxTokenLength?: number;
  /** Clock, for tests. Default: `Date.now`. */
  readonly now?: () => number;
}

export interface VerifiedJwt {
  readonly payload: JWTPayload;
  readonly protectedHeader: JWTHeaderParameters;
  /** The key id (issuer) whose key verified the token. */
  readonly keyId: string;
  /** The RFC 7638 thumbprint of the key that verified it. */
  readonly kid: string;
  /** The store version of that key, where the store has versions. */
  readonly version?: string;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_KID_LENGTH = 256;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One base64url JSON object part of the token (already checked against COMPACT_JWS), decoded once per token
 * (jose is no longer handed the token to decode again); MALFORMED otherwise. Bytes that are not UTF-8 are
 * MALFORMED, as jose's strict decoder has them.
 */
function decodePart(token: string, start: number, end: number): Record<string, unknown> {
  let value: unknown;
  try {
    // Strict JSON (strict-json.ts): a member name twice (`"alg"`, `"exp"`, `"aud"`...) would mean one thing
    // to JSON.parse (the last) and another to a parser that keeps the first, so such a token is refused, as
    // RFC 7519 section 4 allows; so is nesting deeper than MAX_JSON_DEPTH.
    const parsed = parseStrictJson(strictUtf8.decode(Buffer.from(token.slice(start, end), 'base64url')));
    value = 'value' in parsed ? parsed.value : undefined;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('MALFORMED', 'the token header or payload is not a base64url JSON object');
  }
  return value as Record<string, unknown>;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * True if token[start, end) (base64url characters, COMPACT_JWS checked) is the one encoding of its bytes: not
 * 4n + 1 characters long (no bytes end there) and no bits set in the unused low bits of the last character.
 * Decoders ignore those bits, so without this check every signature has up to 16 spellings that all verify:
 * a token an attacker can re-spell is a different string to a replay list, a log or a cache keyed by it.
 */
function canonicalBase64url(token: string, start: number, end: number): boolean {
  const rest = (end - start) % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = BASE64URL.indexOf(token.charAt(end - 1));
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * A `typ` header, when present, must say JWT: `JWT`, `application/jwt` or a `+jwt` type (RFC 8725 section
 * 3.11), compared without case. The same keys sign other kinds of JWS: an A2A Agent Card signature
 * (@phlow/keys-a2a, typ `JOSE`) is a JWS over the card's JSON, which anyone can fetch; rebuilt as a compact
 * token it would otherwise pass as a JWT whose claims are the card.
 */
function isJwtTyp(typ: unknown): boolean {
  if (typ === undefined) return true;
  if (typeof typ !== 'string') return false;
  const type = typ.toLowerCase().replace(/^application\//, '');
  return type === 'jwt' || type.endsWith('+jwt');
}

function fail(code: JwtErrorCode, message: string, keyId?: string): never {
  throw new JwtError(code, message, keyId);
}

function invalidOption(message: string): never {
  fail('INVALID_ARGUMENT', `${message}: the option is wrong, not the token`);
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** The options checked once, before the token: a value that cannot work is INVALID_ARGUMENT, never a limit off. */
export function checkOptions(options: VerifyJwtOptions): void {
  if (typeof options !== 'object' || options === null) invalidOption('options must be an object');
  const { maxTokenLength, clockToleranceSeconds, maxTokenAgeSeconds, audience, issuer, now } = options;
  if (maxTokenLength !== undefined && !(Number.isSafeInteger(maxTokenLength) && maxTokenLength >= 1)) {
    invalidOption('maxTokenLength must be a whole number of characters, 1 or more (default 8192)');
  }
  if (
    clockToleranceSeconds !== undefined &&
    !(Number.isFinite(clockToleranceSeconds) && clockToleranceSeconds >= 0)
  ) {
    invalidOption('clockToleranceSeconds must be a finite number of seconds, 0 or more (default 30)');
  }
  if (maxTokenAgeSeconds !== undefined && !(Number.isFinite(maxTokenAgeSeconds) && maxTokenAgeSeconds >= 0)) {
    invalidOption('maxTokenAgeSeconds must be a finite number of seconds, 0 or more');
  }
  for (const [name, value] of [
    ['audience', audience],
    ['issuer', issuer],
  ] as const) {
    if (value === undefined || isString(value)) continue;
    if (!Array.isArray(value) || value.length === 0 || !value.every(isString)) {
      invalidOption(`${name} must be a string or a non-empty array of strings`);
    }
  }
  if (now !== undefined && typeof now !== 'function')
    invalidOption('now must be a function returning milliseconds');
}

/** The issuer allow-list as an array. */
function allowed(issuer: string | readonly string[]): readonly string[] {
  return typeof issuer === 'string' ? [issuer] : issuer;
}

function algRefusal(alg: unknown): string {
  if (alg === 'none' || alg === undefined) return 'unsigned tokens (alg none) are never accepted';
  if (typeof alg === 'string' && /^HS\d+$/.test(alg)) {
    return 'HMAC tokens (HS256, HS384, HS512) are never accepted: a shared secret cannot tell agents apart (see the README)';
  }
  return 'this alg is not accepted: only EdDSA, Ed25519, ES256 and RS256';
}

/**
 * Verifies `token` and returns its payload, header, the issuer's key id and the verifying key's `kid`.
 * Token problems are JwtErrors (see JwtErrorCode); store problems reading the issuer's keys stay
 * KeyStoreErrors (NOT_FOUND: no key for the `keyId` you named; UNAVAILABLE: the store is down, or the budget of
 * reads for unknown issuers is spent during a flood). An issuer named only by the token that the store lacks is
 * the refusal ISSUER_UNKNOWN.
 */
export async function verifyJwt(
  keys: JwtKeys | RemoteKeySet,
  token: string,
  options: VerifyJwtOptions = {},
): Promise<VerifiedJwt> {
  // A remote JWK Set (createRemoteKeySet) verifies through a JwtKeys view of it: see remote-jwt-keys.ts.
  if (isRemoteKeySet(keys)) {
    // `keyId: undefined` given explicitly (`{ keyId: config.keyId }`) still means the set's host name: spread
    // after it, it would let the token's own iss name the issuer, bound to nothing.
    const withKeyId =
      typeof options === 'object' && options !== null
        ? { ...options, keyId: options.keyId ?? remoteKeyId(keys) }
        : options;
    return verifyJwt(remoteJwtKeys(keys), token, withKeyId);
  }
  return auditedVerification(keys, (seen) => verifyToken(keys, token, options, seen));
}

/**
 * Runs one verification (`run`) as ONE `verify` audit event when auditing is on: valid with the verifying
 * kid and version, refused with the JwtError code, or failed with the store's code. `run` sets `seen.keyId`
 * once the issuer is trusted. Shared by verifyJwt and the cached verifier (verified-token-cache.ts).
 */
export async function auditedVerification(
  keys: JwtKeys,
  run: (seen: { keyId?: string }) => Promise<VerifiedJwt>,
  source?: 'cache',
): Promise<VerifiedJwt> {
  if (!keys.auditing) return run({});
  const audit = (keyId: string | undefined, started: number, fields: AuditFields) => {
    try {
      keys.recordAudit('verify', keyId, started, fields);
    } catch (error) {
      // Auditing must not change a verification's result, except where the deployment asked to fail closed
      // (PHLOW_KEY_AUDIT_FAIL_CLOSED): a token is not accepted when its line cannot be written.
      if (fields.valid === true && isKeyStoreError(error) && error.code === 'AUDIT_UNAVAILABLE') throw error;
    }
  };
  const started = performance.now();
  const seen: { keyId?: string } = {};
  try {
    const result = await run(seen);
    audit(result.keyId, started, {
      outcome: 'success',
      valid: true,
      kid: result.kid,
      version: result.version,
      ...(source ? { source } : {}),
    });
    return result;
  } catch (error) {
    // A refused token is a verification that said no (as KeyManager.verify's `valid: false`), with its reason;
    // a store that could not be read is a failed one. Never the token, nor its unverified kid.
    // An issuer named only by the token's iss that the store does not know is a refused token too
    // (ISSUER_UNKNOWN): recorded without that id, so a forged iss cannot raise store-failure alerts or new
    // metric series of its choosing.
    const refused = isJwtError(error);
    audit(
      seen.keyId,
      started,
      refused
        ? { outcome: 'success', valid: false, errorCode: (error as { code: string }).code }
        : auditFailure(error),
    );
    throw error;
  }
}

/** verifyJwt's checks without the audit event (see verifyJwt for the order and why). */
export async function verifyToken(
  keys: JwtKeys,
  token: string,
  options: VerifyJwtOptions,
  seen: { keyId?: string },
): Promise<VerifiedJwt> {
  checkOptions(options);
  const maxLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (typeof token !== 'string') fail('MALFORMED', 'the token must be a string');
  if (token.length > maxLength) {
    fail('TOO_LARGE', `the token is longer than ${maxLength} characters (maxTokenLength) and was not parsed`);
  }
  if (!COMPACT_JWS.test(token)) fail('MALFORMED', 'the token is not a compact JWS (three base64url parts)');
  const firstDot = token.indexOf('.');
  const lastDot = token.lastIndexOf('.');
  if (
    !canonicalBase64url(token, 0, firstDot) ||
    !canonicalBase64url(token, firstDot + 1, lastDot) ||
    !canonicalBase64url(token, lastDot + 1, token.length)
  ) {
    fail(
      'MALFORMED',
      'a part of the token is not canonical base64url (unused bits set, or 4n + 1 characters)',
    );
  }

  const header = decodePart(token, 0, firstDot) as JWTHeaderParameters;
  const claims = decodePart(token, firstDot + 1, lastDot) as JWTPayload;
  const needAlg = algorithmOfJws(header.alg);
  if (!needAlg) fail('ALG_REFUSED', algRefusal(header.alg));
  // jose refused what it does not understand in `crit`; no extension is understood here (b64: false, an
  // unencoded payload, has no place in a JWT).
  if (header.crit !== undefined)
    fail('MALFORMED', 'the token names critical header extensions (crit): none is supported');
  if (!isJwtTyp(header.typ)) {
    fail('MALFORMED', 'the typ header names another kind of JWS than a JWT (JWT, application/jwt or +jwt)');
  }
  const kid = header.kid;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length > MAX_KID_LENGTH)) {
    fail('MALFORMED', 'the kid header is not a short string');
  }
  // A remote JWK Set's tokens are standard JWTs that name their key: one without a kid is refused before any
  // read or verification (else each of the set's keys of the alg would be tried, up to maxKeys per token).
  if (kid === undefined && isRemoteView(keys)) {
    fail('KID_UNKNOWN', 'the token has no kid: tokens verified against a remote JWK Set must name their key');
  }

  // The allow-list before any store read: a token of an issuer not on it costs nothing.
  if (
    options.issuer !== undefined &&
    !(isString(claims.iss) && allowed(options.issuer).includes(claims.iss))
  ) {
    fail(
      'ISSUER_MISMATCH',
      "the token's iss is not one of the expected issuers (options.issuer); nothing was read",
      options.keyId,
    );
  }

  let keyId = options.keyId;
  if (keyId === undefined) {
    if (!isValidKeyId(claims.iss)) {
      fail(
        'CLAIM_INVALID',
        'the token has no iss claim that is a key id: pass options.keyId to name the issuer',
      );
    }
    keyId = claims.iss;
  }
  // The audit event names the issuer once it is trusted: at once when the application named it, else only
  // after the store has answered for the token's iss (see verifyJwt).
  if (options.keyId !== undefined) seen.keyId = keyId;
  const issuer = keyId;
  const fromToken = options.keyId === undefined;
  const issuerKeys = async (): Promise<PublicKeyPair[]> => {
    let pairs: PublicKeyPair[];
    try {
      pairs = await keys.getVerificationKeys(issuer, { unverified: fromToken });
    } catch (error) {
      if (fromToken && isKeyStoreError(error, 'NOT_FOUND')) {
        // A refusal, not an outage: the id comes from the token, so it is neither echoed nor kept as keyId.
        fail(
          'ISSUER_UNKNOWN',
          "the token's iss names no key id of this store: a forged or foreign token, or the issuer's key is not in this store; pass options.issuer to refuse other issuers before any store read",
        );
      }
      throw error;
    }
    seen.keyId = issuer;
    return pairs;
  };

  const nowMs = options.now?.();
  if (nowMs !== undefined && !Number.isFinite(nowMs))
    invalidOption('now() must return a finite number of milliseconds');
  const expectations = {
    clockTolerance: options.clockToleranceSeconds ?? 30,
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.maxTokenAgeSeconds !== undefined ? { maxTokenAge: options.maxTokenAgeSeconds } : {}),
  };
  // The signing input and the signature, once: the signature is checked by core's algorithm table (the
  // pair's own check, native node:crypto), the claims by claims.ts on the payload decoded above.
  const signingInput = Buffer.from(token.slice(0, lastDot), 'latin1');
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  const verifyWith = (pair: PublicKeyPair): VerifiedJwt => {
    if (signatureCheck(pair)?.(signingInput, signature) !== true) {
      fail('SIGNATURE_INVALID', 'the signature does not verify', keyId);
    }
    // The clock when the claims are judged, after the key lookup (as jose read it).
    checkClaims(claims, expectations, nowMs ?? Date.now(), keyId);
    return {
      payload: claims,
      protectedHeader: header,
      keyId,
      kid: pair.kid,
      ...(pair.version ? { version: pair.version } : {}),
    };
  };

  let result: VerifiedJwt | undefined;
  if (kid !== undefined) {
    const pair = await findByKid(keys, keyId, kid, issuerKeys);
    const alg = acceptedAlg(pair);
    if (alg === undefined) {
      fail(
        'ALG_MISMATCH',
        "the key the token's kid names is one the algorithm table refuses (RSA under 2048 bits, a small-order or non-canonical Ed25519 key, another curve): it verifies nothing; rotate it",
        keyId,
      );
    }
    if (alg !== needAlg) {
      fail('ALG_MISMATCH', `the token's alg does not fit the type of the key its kid names`, keyId);
    }
    result = verifyWith(pair);
  } else {
    // No kid (the Python Phlow's tokens): each of the issuer's keys the table accepts for the alg, current first.
    const candidates = (await issuerKeys()).filter((pair) => acceptedAlg(pair) === needAlg);
    if (candidates.length === 0) {
      fail(
        'ALG_MISMATCH',
        "the issuer has no key the token's alg fits (RSA needs 2048 bits or more; refused keys verify nothing)",
        keyId,
      );
    }
    let lastError: unknown;
    for (const pair of candidates) {
      try {
        result = verifyWith(pair);
        break;
      } catch (error) {
        if ((error as JwtError).code !== 'SIGNATURE_INVALID') throw error;
        lastError = error;
      }
    }
    if (!result) throw lastError;
  }

  // Checks jose leaves to the caller, made after the signature verified.
  if (options.audience === undefined && result.payload.aud !== undefined) {
    fail(
      'AUDIENCE_MISMATCH',
      'the token names an audience and none was expected: pass options.audience',
      keyId,
    );
  }
  if (options.issuer === undefined && result.payload.iss !== undefined && result.payload.iss !== keyId) {
    fail(
      'ISSUER_MISMATCH',
      'the token has another issuer than the key id: pass options.issuer if that is expected',
      keyId,
    );
  }
  return result;
}

async function findByKid(
  keys: JwtKeys,
  keyId: string,
  kid: string,
  issuerKeys: () => Promise<PublicKeyPair[]>,
): Promise<PublicKeyPair> {
  // The issuer's keys first: a store that does not know the issuer answers NOT_FOUND for the issuer itself.
  const found = (await issuerKeys()).find((pair) => pair.kid === kid);
  if (found) return found;
  try {
    return await keys.getKeyByKid(keyId, kid);
  } catch (error) {
    if (!isKeyStoreError(error, 'NOT_FOUND')) throw error;
  }
  fail(
    'KID_UNKNOWN',
    "the token's kid is not a current or in-grace key of the issuer (unknown, or retired)",
    keyId,
  );
}
