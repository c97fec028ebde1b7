/**
 * The one algorithm table (in the manner of jose's lib/jws_algorithms): for each key type we sign with, its
 * JWS `alg`, its JWK members, its minimum size, how it signs and verifies, how a fresh pair is made, and the
 * rule that decides whether a public key is accepted at all.
 *
 * | key type | JWS alg                         | JWK                | accepted when                                |
 * |----------|---------------------------------|--------------------|----------------------------------------------|
 * | Ed25519  | EdDSA (and RFC 9864's Ed25519)  | OKP, crv Ed25519   | canonical and not of small order (see ed25519.ts) |
 * | P-256    | ES256                           | EC, crv P-256      | node:crypto decodes the point (on the curve) |
 * | RSA      | RS256                           | RSA                | modulus of 2048 bits or more                 |
 *
 * The rule is applied where a public key enters: `PublicKeyPair.alg` (public-key-pair.ts) asks `keyAlgorithm`
 * once per pair, and signing (signer.ts), verifying (KeyManager.verify, keys-jwt's verifyJwt) and publishing
 * (the JWK Set) all go through it, so a key one of them refuses is refused by all of them. ES256 signatures
 * are in JWS form (RFC 7518 section 3.4: r || s, 64 bytes), not DER, so the same bytes serve `sign` and a JWT.
 */
import {
  createPublicKey,
  generateKeyPair as generateKeyPairCallback,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { promisify } from 'node:util';
import {
  acceptablePublicKey,
  ed25519Backend,
  ed25519Sign,
  ed25519VerifyPoint,
  generateEd25519,
} from './ed25519.js';
import { KeyStoreError } from './errors.js';
import { ed25519PrivateKeyToPem, ed25519PublicKeyToPem } from './pem.js';

/** The algorithms a key can sign with, named by their JWS `alg`. */
export type KeyAlgorithm = 'EdDSA' | 'ES256' | 'RS256';

/** Every KeyAlgorithm, the default (EdDSA) first. */
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['EdDSA', 'ES256', 'RS256'];

/** A fresh pair as unencrypted PKCS#8 (private) and SubjectPublicKeyInfo (public) PEMs. */
export interface KeyPems {
  readonly privateKey: string;
  readonly publicKey: string;
}

type SignFn = (message: Uint8Array) => Uint8Array;
type VerifyFn = (message: Uint8Array, signature: Uint8Array) => boolean;

/** One row of the table. */
export interface KeyAlgorithmSpec {
  readonly alg: KeyAlgorithm;
  /** The key type as people say it: `Ed25519`, `P-256`, `RSA`. */
  readonly keyName: string;
  /** node:crypto's `asymmetricKeyType` of the key. */
  readonly keyType: 'ed25519' | 'ec' | 'rsa';
  /** Every JWS `alg` a token signed with this key may carry. */
  readonly jwsAlgs: readonly string[];
  /** The JWK members fixed by the key type. */
  readonly jwk: { readonly kty: 'OKP' | 'EC' | 'RSA'; readonly crv?: string };
  /** Least key size in bits, where the type has a choice. */
  readonly minBits?: number;
  /** Why `publicKey` (of this type) is refused, or undefined when it is accepted. Never quotes the key. */
  refusal(publicKey: KeyObject): string | undefined;
  /** Signs with `privateKey` (of this type). */
  signer(privateKey: KeyObject): SignFn;
  /** Checks signatures with `publicKey`, a key that passed `refusal`. Never throws for bad input. */
  verifier(publicKey: KeyObject): VerifyFn;
  /** A fresh pair. */
  generate(): Promise<KeyPems>;
}

const asBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const jwkMember = (key: KeyObject, name: 'd' | 'x'): Uint8Array =>
  new Uint8Array(Buffer.from(key.export({ format: 'jwk' })[name] ?? '', 'base64url'));

/** `verify` that answers false instead of throwing (a signature of the wrong shape, say). */
function safely(verify: VerifyFn): VerifyFn {
  return (message, signature) => {
    try {
      return verify(message, signature);
    } catch {
      return false;
    }
  };
}

/** A fresh Ed25519 pair as PKCS#8 / SPKI PEMs (through noble, so it works where node:crypto has none). */
export function newEd25519Pems(): KeyPems {
  const { seed, publicKey } = generateEd25519();
  try {
    return { privateKey: ed25519PrivateKeyToPem(seed), publicKey: ed25519PublicKeyToPem(publicKey) };
  } finally {
    seed.fill(0);
  }
}

const generate = promisify(generateKeyPairCallback);
const PKCS8_PEM = { type: 'pkcs8', format: 'pem' } as const;
const SPKI_PEM = { type: 'spki', format: 'pem' } as const;

const ED25519: KeyAlgorithmSpec = {
  alg: 'EdDSA',
  keyName: 'Ed25519',
  keyType: 'ed25519',
  jwsAlgs: ['EdDSA', 'Ed25519'],
  jwk: { kty: 'OKP', crv: 'Ed25519' },
  // OpenSSL before 3.6 accepts small-order and non-canonical keys, and with them forged signatures.
  refusal: (publicKey) =>
    acceptablePublicKey(jwkMember(publicKey, 'x')) === null
      ? 'is a small-order or non-canonical Ed25519 key, under which forged signatures verify'
      : undefined,
  signer(privateKey) {
    if (ed25519Backend() === 'noble') {
      const seed = jwkMember(privateKey, 'd');
      return (message) => ed25519Sign(message, seed);
    }
    return (message) => asBytes(nodeSign(null, message, privateKey));
  },
  verifier(publicKey) {
    if (ed25519Backend() === 'noble') {
      const raw = jwkMember(publicKey, 'x');
      const point = acceptablePublicKey(raw);
      return (message, signature) => point !== null && ed25519VerifyPoint(signature, message, point, raw);
    }
    return safely(
      (message, signature) => signature.length === 64 && nodeVerify(null, message, publicKey, signature),
    );
  },
  generate: async () => newEd25519Pems(),
};

const P256: KeyAlgorithmSpec = {
  alg: 'ES256',
  keyName: 'P-256',
  keyType: 'ec',
  jwsAlgs: ['ES256'],
  jwk: { kty: 'EC', crv: 'P-256' },
  // node:crypto (OpenSSL) refuses a point that is not on the curve when it decodes the key.
  refusal: () => undefined,
  signer(privateKey) {
    const key = { key: privateKey, dsaEncoding: 'ieee-p1363' } as const;
    return (message) => asBytes(nodeSign('sha256', message, key));
  },
  verifier(publicKey) {
    const key = { key: publicKey, dsaEncoding: 'ieee-p1363' } as const;
    return safely(
      (message, signature) => signature.length === 64 && nodeVerify('sha256', message, key, signature),
    );
  },
  generate: () =>
    generate('ec', { namedCurve: 'P-256', privateKeyEncoding: PKCS8_PEM, publicKeyEncoding: SPKI_PEM }),
};

const RSA_MIN_BITS = 2048;

const RSA: KeyAlgorithmSpec = {
  alg: 'RS256',
  keyName: 'RSA',
  keyType: 'rsa',
  jwsAlgs: ['RS256'],
  jwk: { kty: 'RSA' },
  minBits: RSA_MIN_BITS,
  refusal(publicKey) {
    const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
    return bits < RSA_MIN_BITS
      ? `is RSA-${bits}, under the ${RSA_MIN_BITS}-bit minimum for RS256`
      : undefined;
  },
  signer: (privateKey) => (message) => asBytes(nodeSign('sha256', message, privateKey)),
  verifier: (publicKey) =>
    safely((message, signature) => nodeVerify('sha256', message, publicKey, signature)),
  // RSA-2048, e 65537, byte for byte the layout the Python Phlow writes. Async: it takes tens of milliseconds.
  generate: () =>
    generate('rsa', {
      modulusLength: RSA_MIN_BITS,
      publicExponent: 0x10001,
      privateKeyEncoding: PKCS8_PEM,
      publicKeyEncoding: SPKI_PEM,
    }),
};

/** The table, by algorithm. */
export const ALGORITHMS: Readonly<Record<KeyAlgorithm, KeyAlgorithmSpec>> = {
  EdDSA: ED25519,
  ES256: P256,
  RS256: RSA,
};

const SUPPORTED = 'Ed25519 (EdDSA), P-256 (ES256) or RSA of 2048 bits or more (RS256)';

/** True if `value` names a KeyAlgorithm. */
export function isKeyAlgorithm(value: unknown): value is KeyAlgorithm {
  return typeof value === 'string' && Object.hasOwn(ALGORITHMS, value);
}

/**
 * The KeyAlgorithm a JWS `alg` header asks for (`Ed25519`, RFC 9864's fully specified name, is EdDSA with an
 * Ed25519 key), or undefined for an alg we never sign or verify with (none, HS256, ES384, ...).
 */
export function algorithmOfJws(jwsAlg: unknown): KeyAlgorithm | undefined {
  if (typeof jwsAlg !== 'string') return undefined;
  return KEY_ALGORITHMS.find((alg) => ALGORITHMS[alg].jwsAlgs.includes(jwsAlg));
}

/** The row for a parsed key by its type (and curve), whether or not the key passes its rule. */
export function specOfKey(key: KeyObject): KeyAlgorithmSpec | undefined {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return ED25519;
    case 'rsa':
      return RSA;
    case 'ec':
      return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? P256 : undefined;
    default:
      return undefined;
  }
}

/**
 * The algorithm a public (or private) key signs with, after the table's rule: UNSUPPORTED for a key type not
 * in the table and for RSA under 2048 bits, INVALID_KEY for a small-order or non-canonical Ed25519 key.
 */
export function keyAlgorithm(key: KeyObject, keyId?: string): KeyAlgorithm {
  const of = keyId ? `key "${keyId}"` : 'the key';
  const spec = specOfKey(key);
  if (!spec) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    throw new KeyStoreError(
      'UNSUPPORTED',
      `${of} is ${key.asymmetricKeyType ?? 'of an unknown type'}${curve ? ` on ${curve}` : ''}; keys must be ${SUPPORTED}: rotate it to a supported key`,
      { keyId },
    );
  }
  const refusal = spec.refusal(key.type === 'private' ? createPublicKey(key) : key);
  if (refusal !== undefined) {
    throw new KeyStoreError(
      spec.alg === 'EdDSA' ? 'INVALID_KEY' : 'UNSUPPORTED',
      `${of} ${refusal}, so nothing is signed or verified with it: rotate it (keys must be ${SUPPORTED})`,
      { keyId },
    );
  }
  return spec.alg;
}

/** A fresh pair for `alg`: Ed25519, P-256, or RSA-2048 (e 65537). UNSUPPORTED for anything else. */
export async function newKeyPems(alg: KeyAlgorithm): Promise<KeyPems> {
  if (!isKeyAlgorithm(alg)) {
    throw new KeyStoreError(
      'UNSUPPORTED',
      'algorithm must be "EdDSA" (Ed25519, the default), "ES256" (P-256) or "RS256" (RSA-2048)',
    );
  }
  return ALGORITHMS[alg].generate();
}
