/**
 * Ed25519 through @noble/ed25519 (bundled into core's build, so core keeps zero runtime dependencies).
 *
 * noble needs a synchronous SHA-512 for its sync API; node:crypto's native one is used, so the bundled copy
 * needs nothing else. Verification is strict RFC 8032 (zip215: false), the same acceptance rule as OpenSSL
 * and node:crypto, so a signature this module accepts is accepted by every other verifier of the token.
 */
import { createHash } from 'node:crypto';
import * as ed from '@noble/ed25519';

ed.hashes.sha512 = (message: Uint8Array) => new Uint8Array(createHash('sha512').update(message).digest());

export interface Ed25519KeyMaterial {
  /** The 32-byte private seed. */
  readonly seed: Uint8Array;
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
}

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

export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false; // malformed signature or point: not valid, not an error
  }
}
