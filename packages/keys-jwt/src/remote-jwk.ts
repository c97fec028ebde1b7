/**
 * One member of a remote JWK Set, checked before it can verify anything: public members only (a JWK that
 * carries `d`, `p`, `k`, ... is a leaked private key, skipped and never copied anywhere), a key type and size
 * core's algorithm table accepts (`keyAlgorithm`: RSA under 2048 bits, small-order Ed25519 keys and other
 * curves are refused, as for our own keys) and cheap to verify with (RSA at most 8192 bits, e at most 2^32),
 * the `kid` recomputed as the RFC 7638 thumbprint of the parsed key (core's `jwkThumbprint`; a JWK whose `kid`
 * says otherwise is skipped, so a set cannot make one key answer for another's id), `alg`, `use` and `key_ops`
 * consistent with signature verification, `nbf`/`exp` numbers.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ALGORITHMS, jwkThumbprint, type KeyAlgorithm, keyAlgorithm } from '@phlow/keys-core';

export interface RemoteKey {
  /** RFC 7638 thumbprint of the key, computed here (a JWK whose `kid` differs is skipped). */
  readonly kid: string;
  /** Core's algorithm for the key: EdDSA (Ed25519), ES256 (P-256) or RS256 (RSA of 2048 bits or more). */
  readonly alg: KeyAlgorithm;
  /** The public members, with `kid`, `use: "sig"` and `alg` (and `nbf`/`exp` when the set gave them). */
  readonly jwk: JsonWebKey;
  readonly key: KeyObject;
  /** Milliseconds since the epoch, from the JWK's `nbf` (seconds), when present. */
  readonly notBefore?: number;
  /** Milliseconds since the epoch, from the JWK's `exp` (seconds), when present. */
  readonly expires?: number;
}

/** Why a member of the set was skipped; the member itself is never reported. */
export type RemoteKeySkipReason =
  /** Not a JSON object. */
  | 'not-an-object'
  /** It has private or symmetric members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`): a leaked key. */
  | 'private-members'
  /** A key type other than OKP, EC, RSA. */
  | 'key-type'
  /** Members missing or of the wrong type, or a key that does not parse. */
  | 'malformed'
  /**
   * Core's algorithm table refuses the key (RSA under 2048 bits, a small-order Ed25519 key, another curve), or
   * it costs too much to verify with (an RSA modulus over 8192 bits or a public exponent over 2^32).
   */
  | 'refused-key'
  /** `kid` is not the RFC 7638 thumbprint of the key. */
  | 'kid-mismatch'
  /** `alg` names another algorithm than the key's row of the table (PS256, RS384, HS256, none, ...). */
  | 'alg'
  /** `use` is not `sig`, or `key_ops` does not include `verify`. */
  | 'use'
  /** `nbf` or `exp` is not a number. */
  | 'times'
  /** The same key twice in the set. */
  | 'duplicate';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  OKP: ['crv', 'x'],
  EC: ['crv', 'x', 'y'],
  RSA: ['n', 'e'],
};

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * Largest RSA modulus and public exponent of a remote key. Core's table sets only a floor (2048 bits), which is
 * all our own keys need; a remote key is chosen by whoever serves the set, and a verification costs what its
 * key makes it cost, before the signature is known to be good: a 3072-bit key with a 3072-bit exponent costs
 * over 100 times an RSA-2048 one per verification (e 65537), a 16384-bit modulus about 30 times.
 */
export const MAX_REMOTE_RSA_BITS = 8192;
export const MAX_REMOTE_RSA_EXPONENT = 2n ** 32n;

/** Why an RSA key is too costly to verify with, or undefined. */
function rsaCostRefusal(key: KeyObject): string | undefined {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'rsa') return undefined;
  if ((details?.modulusLength ?? Number.POSITIVE_INFINITY) > MAX_REMOTE_RSA_BITS) return 'modulus';
  if ((details?.publicExponent ?? MAX_REMOTE_RSA_EXPONENT + 1n) > MAX_REMOTE_RSA_EXPONENT) return 'exponent';
  return undefined;
}

/**
 * The key of one JWK of a remote set, or why it was skipped: the one check of a JWK someone else serves (used by
 * createRemoteKeySet and by keys-httpsig's directory signature check).
 */
export function remoteKeyOf(value: unknown): RemoteKey | { readonly skipped: RemoteKeySkipReason } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { skipped: 'not-an-object' };
  const jwk = value as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((member) => Object.hasOwn(jwk, member))) return { skipped: 'private-members' };
  const members = typeof jwk.kty === 'string' ? PUBLIC_MEMBERS[jwk.kty] : undefined;
  if (!members) return { skipped: 'key-type' };
  if (!members.every((member) => typeof jwk[member] === 'string')) return { skipped: 'malformed' };
  if (jwk.use !== undefined && jwk.use !== 'sig') return { skipped: 'use' };
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return { skipped: 'use' };
  }
  if ((jwk.nbf !== undefined && !isNumber(jwk.nbf)) || (jwk.exp !== undefined && !isNumber(jwk.exp))) {
    return { skipped: 'times' };
  }

  let key: KeyObject;
  try {
    // Only the public members reach the parser.
    const input: Record<string, unknown> = { kty: jwk.kty };
    for (const member of members) input[member] = jwk[member];
    key = createPublicKey({ key: input as JsonWebKey, format: 'jwk' });
  } catch {
    return { skipped: 'malformed' };
  }
  if (rsaCostRefusal(key) !== undefined) return { skipped: 'refused-key' };
  let alg: KeyAlgorithm;
  try {
    alg = keyAlgorithm(key);
  } catch {
    return { skipped: 'refused-key' };
  }
  if (jwk.alg !== undefined && !(typeof jwk.alg === 'string' && ALGORITHMS[alg].jwsAlgs.includes(jwk.alg))) {
    return { skipped: 'alg' };
  }
  const exported = key.export({ format: 'jwk' });
  const kid = jwkThumbprint(exported);
  if (jwk.kid !== undefined && jwk.kid !== kid) return { skipped: 'kid-mismatch' };

  const { kty, crv, x, y, n, e } = exported;
  const notBefore = isNumber(jwk.nbf) ? jwk.nbf * 1000 : undefined;
  const expires = isNumber(jwk.exp) ? jwk.exp * 1000 : undefined;
  const publicJwk = JSON.parse(
    JSON.stringify({ kty, crv, x, y, n, e, kid, use: 'sig', alg, nbf: jwk.nbf, exp: jwk.exp }),
  ) as JsonWebKey;
  return {
    kid,
    alg,
    jwk: publicJwk,
    key,
    ...(notBefore !== undefined ? { notBefore } : {}),
    ...(expires !== undefined ? { expires } : {}),
  };
}

/** True when `key` may verify at `nowMs` (inside its `nbf`/`exp`, when it has them). */
export function inValidityWindow(key: RemoteKey, nowMs: number): boolean {
  return (
    (key.notBefore === undefined || nowMs >= key.notBefore) &&
    (key.expires === undefined || nowMs < key.expires)
  );
}
