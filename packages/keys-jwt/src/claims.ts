/**
 * The JWT claim checks verifyJwt makes after the signature verified, on the payload it decoded once: the
 * same checks, order and comparisons as jose's `jwtVerify` (lib/jwt_claims_set.ts), so moving the signature
 * check to core's algorithm table changed no answer: required claims (exp; iat with a max age; aud and iss
 * when expected), iss, aud, then iat / nbf / exp as NumericDates with the clock tolerance, whole seconds.
 * Each failure is the JwtError code verifyJwt always gave for jose's error.
 */
import { JwtError } from './errors.js';

export interface ClaimExpectations {
  /** Expected `aud` (one of). */
  readonly audience?: string | readonly string[];
  /** Expected `iss` (one of). */
  readonly issuer?: string | readonly string[];
  /** Seconds of slack for exp, nbf and iat. */
  readonly clockTolerance: number;
  /** Refuse an `iat` older than this many seconds (and require `iat`). */
  readonly maxTokenAge?: number;
}

const list = (value: string | readonly string[]): readonly string[] =>
  typeof value === 'string' ? [value] : value;

/** A NumericDate claim: undefined when absent, CLAIM_INVALID when not a number. */
function numericDate(claims: Record<string, unknown>, claim: 'iat' | 'nbf' | 'exp', keyId: string) {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    throw new JwtError('CLAIM_INVALID', `the "${claim}" claim is not a number (NumericDate)`, keyId);
  }
  return value;
}

function missing(claim: string, keyId: string): JwtError {
  if (claim === 'aud') return new JwtError('AUDIENCE_MISMATCH', 'the token is for another audience', keyId);
  if (claim === 'iss') return new JwtError('ISSUER_MISMATCH', 'the token has another issuer', keyId);
  return new JwtError('CLAIM_INVALID', `the "${claim}" claim is missing or invalid`, keyId);
}

/** Throws the JwtError for the first claim check `claims` fails at `nowMs`, in jose's order. */
export function checkClaims(
  claims: Record<string, unknown>,
  expect: ClaimExpectations,
  nowMs: number,
  keyId: string,
): void {
  const { audience, issuer, maxTokenAge, clockTolerance: tolerance } = expect;
  // jose checks presence in this order: iss, sub, aud, iat, then the required claims (exp).
  const present = [
    ...(issuer !== undefined ? ['iss'] : []),
    ...(audience !== undefined ? ['aud'] : []),
    ...(maxTokenAge !== undefined ? ['iat'] : []),
    'exp',
  ];
  for (const claim of present) if (!Object.hasOwn(claims, claim)) throw missing(claim, keyId);
  if (issuer !== undefined && !list(issuer).includes(claims.iss as string)) throw missing('iss', keyId);
  if (audience !== undefined) {
    const aud = claims.aud;
    const expected = list(audience);
    const ok =
      typeof aud === 'string'
        ? expected.includes(aud)
        : Array.isArray(aud) && expected.some((a) => aud.includes(a));
    if (!ok) throw missing('aud', keyId);
  }
  const now = Math.floor(nowMs / 1000);
  const iat = numericDate(claims, 'iat', keyId);
  const nbf = numericDate(claims, 'nbf', keyId);
  if (nbf !== undefined && nbf > now + tolerance) {
    throw new JwtError('NOT_YET_VALID', 'the token is not valid yet (nbf is in the future)', keyId);
  }
  const exp = numericDate(claims, 'exp', keyId);
  if (exp !== undefined && exp <= now - tolerance)
    throw new JwtError('EXPIRED', 'the token has expired', keyId);
  if (maxTokenAge !== undefined) {
    const age = now - (iat as number);
    if (age - tolerance > maxTokenAge) throw new JwtError('EXPIRED', 'the token has expired', keyId);
    if (age < -tolerance) {
      throw new JwtError('NOT_YET_VALID', 'the token is not valid yet (iat is in the future)', keyId);
    }
  }
}
