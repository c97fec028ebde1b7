/**
 * The one place signatures are made and checked: every signature KeyManager makes or accepts (EdDSA, and RS256
 * for the RSA pairs of older deployments) goes through `signWith` / `verifyWith`.
 *
 * A pair without a private half (PublicKeyPair, from a store with the `signer` capability: Vault Transit, an
 * HSM) is signed by its store, pinned to the pair's version; the signature that comes back is checked
 * against the pair's public key before it is returned, so a backend that signed with another key (another
 * version, a swapped key) is caught here instead of by every verifier.
 *
 * Two implementations, one acceptance rule (see ed25519.ts):
 * - node:crypto (OpenSSL), native and about 10x (sign) to 25x (verify) faster: used whenever the runtime has
 *   a working native Ed25519. That is detected once, by signing the RFC 8032 test vector, not by the
 *   runtime's name;
 * - @noble/ed25519, bundled, where it has none.
 * The parsed keys (KeyObjects, or noble's seed and decoded point) are made once per KeyPair and kept in a
 * WeakMap keyed by the pair: they live as long as the cache (or the caller) holds the pair, and go with it.
 */
import { createPrivateKey, type KeyObject, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import type { SignOptions } from './contract.js';
import { acceptablePublicKey, ed25519Sign, ed25519VerifyPoint } from './ed25519.js';
import { KeyStoreError } from './errors.js';
import { KeyPair } from './key-pair.js';
import { ed25519PrivateKeyObject, ed25519SeedFromPem, parsePrivateKey, parsePublicKey } from './pem.js';
import type { PublicKeyPair } from './public-key-pair.js';

type SignFn = (message: Uint8Array) => Uint8Array;
type VerifyFn = (message: Uint8Array, signature: Uint8Array) => boolean;

export type Ed25519BackendName = 'node:crypto' | 'noble';

interface Backend {
  readonly name: Ed25519BackendName;
  readonly signers: WeakMap<KeyPair, SignFn>;
  /** null: the pair's public key is not an acceptable Ed25519 key, so nothing verifies with it. */
  readonly verifiers: WeakMap<PublicKeyPair, VerifyFn | null>;
  signer(pair: KeyPair): SignFn;
  verifier(pair: PublicKeyPair, publicKey: Uint8Array, key: KeyObject): VerifyFn;
}

const asBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const native: Backend = {
  name: 'node:crypto',
  signers: new WeakMap(),
  verifiers: new WeakMap(),
  signer(pair) {
    const key = ed25519PrivateKeyObject(pair.privateKey, pair.keyId);
    return (message) => asBytes(nodeSign(null, message, key));
  },
  verifier(_pair, _publicKey, key) {
    return (message, signature) => signature.length === 64 && nodeVerify(null, message, key, signature);
  },
};

const noble: Backend = {
  name: 'noble',
  signers: new WeakMap(),
  verifiers: new WeakMap(),
  signer(pair) {
    const seed = ed25519SeedFromPem(pair.privateKey, pair.keyId);
    return (message) => ed25519Sign(message, seed);
  },
  verifier(_pair, publicKey) {
    const point = acceptablePublicKey(publicKey)!; // checked by the caller
    return (message, signature) => ed25519VerifyPoint(signature, message, point, publicKey);
  },
};

// RFC 8032 section 7.1, TEST 1: the probe that decides whether node:crypto's Ed25519 works here.
const PROBE_PKCS8 =
  '302e020100300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const PROBE_SIGNATURE =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

/** True if node:crypto signs the RFC 8032 vector correctly in this runtime. */
export function nativeEd25519Works(): boolean {
  try {
    const key = createPrivateKey({ key: Buffer.from(PROBE_PKCS8, 'hex'), format: 'der', type: 'pkcs8' });
    return nodeSign(null, new Uint8Array(0), key).toString('hex') === PROBE_SIGNATURE;
  } catch {
    return false;
  }
}

let chosen: Backend | undefined;

function backend(): Backend {
  chosen ??= nativeEd25519Works() ? native : noble;
  return chosen;
}

/** Which implementation signs in this process (detected on first use). */
export function ed25519Backend(): Ed25519BackendName {
  return backend().name;
}

/**
 * For tests and benchmarks only (not exported from the package): force one implementation, or pass
 * `undefined` to detect again with `probe`.
 */
export function setEd25519Backend(name?: Ed25519BackendName, probe = nativeEd25519Works): void {
  chosen = name === 'noble' ? noble : name === 'node:crypto' ? native : probe() ? native : noble;
}

/**
 * RS256 (RSASSA-PKCS1-v1_5 with SHA-256) for the RSA pairs the Python Phlow made, through node:crypto on both
 * paths (noble is Ed25519 only); undefined for any other key type.
 */
function rsaSigner(pair: KeyPair): SignFn | undefined {
  const key = parsePrivateKey(pair.privateKey, pair.keyId);
  if (key.asymmetricKeyType !== 'rsa') return undefined;
  return (message) => asBytes(nodeSign('sha256', message, key));
}

/** What signs for a pair without a private half: its store (see SignerKeyStore in contract.ts). */
export interface RemoteSigner {
  readonly type: string;
  sign?(keyId: string, data: Uint8Array, options?: SignOptions): Promise<Uint8Array>;
}

/**
 * Signs with the pair's private key: EdDSA for Ed25519, RS256 for RSA. UNSUPPORTED for other key types;
 * INVALID_KEY if it does not parse. A pair without a private half is signed by `remote` (its store) with the
 * pair's version, asynchronously.
 */
export function signWith(pair: KeyPair, message: Uint8Array): Uint8Array;
export function signWith(
  pair: PublicKeyPair,
  message: Uint8Array,
  remote: RemoteSigner,
): Uint8Array | Promise<Uint8Array>;
export function signWith(
  pair: PublicKeyPair,
  message: Uint8Array,
  remote?: RemoteSigner,
): Uint8Array | Promise<Uint8Array> {
  if (!(pair instanceof KeyPair)) return signRemotely(pair, message, remote);
  const b = backend();
  let sign = b.signers.get(pair);
  if (sign === undefined) {
    sign = rsaSigner(pair) ?? b.signer(pair);
    b.signers.set(pair, sign);
  }
  return sign(message);
}

async function signRemotely(
  pair: PublicKeyPair,
  message: Uint8Array,
  remote: RemoteSigner | undefined,
): Promise<Uint8Array> {
  const storeType = remote?.type;
  if (typeof remote?.sign !== 'function') {
    throw new KeyStoreError(
      'UNSUPPORTED',
      `key "${pair.keyId}" has no private half here and its store cannot sign: sign through the KeyManager of a store with the signer capability`,
      { storeType, keyId: pair.keyId },
    );
  }
  const signature = await remote.sign(pair.keyId, message, { version: pair.version });
  if (!(signature instanceof Uint8Array) || !verifyWith(pair, message, signature)) {
    throw new KeyStoreError(
      'INTEGRITY',
      `the store's signature with "${pair.keyId}" version ${pair.version ?? '(current)'} does not verify with that version's public key: the backend signed with another key; check the key's versions in the backend`,
      { storeType, keyId: pair.keyId },
    );
  }
  return signature;
}

/** True if `signature` is a valid signature of `message` by the pair's public key. Never throws for bad input. */
export function verifyWith(pair: PublicKeyPair, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array)) return false;
  const b = backend();
  let verify = b.verifiers.get(pair);
  if (verify === undefined) {
    verify = makeVerifier(b, pair);
    b.verifiers.set(pair, verify);
  }
  return verify?.(message, signature) === true;
}

function makeVerifier(b: Backend, pair: PublicKeyPair): VerifyFn | null {
  const key = parsePublicKey(pair.publicKey, pair.keyId);
  if (key.asymmetricKeyType === 'rsa') {
    return (message, signature) => nodeVerify('sha256', message, key, signature);
  }
  if (key.asymmetricKeyType !== 'ed25519') return null;
  const publicKey = new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url'));
  // Small-order and non-canonical public keys are refused on both paths (OpenSSL alone would accept them).
  if (acceptablePublicKey(publicKey) === null) return null;
  return b.verifier(pair, publicKey, key);
}
