/**
 * Ed25519 through @noble/ed25519: the portable implementation (bundled into core's build, so core keeps zero
 * runtime dependencies). signer.ts uses it where the runtime has no native Ed25519, and for key generation.
 *
 * Acceptance is the rule signer.ts applies on both paths, written out here so the pure-JavaScript path
 * refuses exactly what OpenSSL (node:crypto) refuses:
 * - the public key must be a canonical encoding (y < p, no "negative zero" x) of a point that is not of small
 *   order. OpenSSL does not check this (it accepts the identity as a public key, and with it the all-zero
 *   signature for every message), so signer.ts checks it once per key, for both paths;
 * - S < L (no malleable second signature from one signature), signatures exactly 64 bytes;
 * - the cofactorless equation [S]B - [k]A == R, compared as bytes, which is what OpenSSL computes. noble's own
 *   `verify` uses the cofactored equation and would accept an R with a small-order component that OpenSSL
 *   refuses, so it is not used for verification.
 * noble needs a synchronous SHA-512 for its sync API; node:crypto's is used.
 *
 * Which implementation signs is decided here, once, by signing the RFC 8032 test vector with node:crypto
 * (native, about 10x faster to sign and 25x to verify): not by the runtime's name.
 */
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import * as ed from '@noble/ed25519';

ed.hashes.sha512 = (message: Uint8Array) => new Uint8Array(createHash('sha512').update(message).digest());

/** The order of the prime-order subgroup (RFC 8032's L). */
const L = 0x1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3edn;

export interface Ed25519KeyMaterial {
  /** The 32-byte private seed. */
  readonly seed: Uint8Array;
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
}

/** A decoded public key that passed `acceptablePublicKey`. */
export type Ed25519PublicPoint = InstanceType<typeof ed.Point>;

export function generateEd25519(): Ed25519KeyMaterial {
  const seed = ed.utils.randomSecretKey();
  return { seed, publicKey: ed.getPublicKey(seed) };
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}

export function ed25519Sign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}

/** The public key as a point, or null when it is not 32 bytes, not canonical, not on the curve or of small order. */
export function acceptablePublicKey(publicKey: Uint8Array): Ed25519PublicPoint | null {
  if (publicKey.length !== 32) return null;
  try {
    const point = ed.Point.fromBytes(publicKey, false); // strict: y < p, no x = 0 with the sign bit set
    return point.isSmallOrder() ? null : point;
  } catch {
    return null;
  }
}

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/**
 * Strict RFC 8032 verification with a key that passed `acceptablePublicKey` (`publicKey` its 32 bytes).
 * Malformed input is a refusal, never an error.
 */
export function ed25519VerifyPoint(
  signature: Uint8Array,
  message: Uint8Array,
  point: Ed25519PublicPoint,
  publicKey: Uint8Array,
): boolean {
  if (signature.length !== 64) return false;
  const r = signature.subarray(0, 32);
  const s = littleEndian(signature.subarray(32, 64));
  if (s >= L) return false;
  const digest = createHash('sha512').update(r).update(publicKey).update(message).digest();
  const k = littleEndian(digest) % L;
  const check = ed.Point.BASE.multiply(s, false).subtract(point.multiply(k, false)).toBytes();
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= check[i]! ^ r[i]!;
  return diff === 0;
}

/** Strict verification against raw public key bytes (decodes the key each time; signer.ts caches it). */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const point = acceptablePublicKey(publicKey);
  return point !== null && ed25519VerifyPoint(signature, message, point, publicKey);
}

export type Ed25519BackendName = 'node:crypto' | 'noble';

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

let chosen: Ed25519BackendName | undefined;

/** Which implementation signs Ed25519 in this process (detected on first use). */
export function ed25519Backend(): Ed25519BackendName {
  chosen ??= nativeEd25519Works() ? 'node:crypto' : 'noble';
  return chosen;
}

/**
 * For tests and benchmarks only (not exported from the package): force one implementation, or pass
 * `undefined` to detect again with `probe`. signer.ts wraps this to drop the functions it made for the other.
 */
export function chooseEd25519Backend(name?: Ed25519BackendName, probe = nativeEd25519Works): void {
  chosen = name ?? (probe() ? 'node:crypto' : 'noble');
}
