/**
 * The one place signatures are made and checked: every signature KeyManager makes or accepts goes through
 * `signWith` / `verifyWith`, which dispatch through the algorithm table (algorithms.ts) by the pair's `alg`:
 * EdDSA for Ed25519, ES256 for P-256 (JWS form, r || s), RS256 for RSA of 2048 bits or more. A key the table
 * refuses signs nothing (UNSUPPORTED / INVALID_KEY) and verifies nothing (false).
 *
 * A pair without a private half (PublicKeyPair, from a store with the `signer` capability: Vault Transit, an
 * HSM) is signed by its store, pinned to the pair's version; the signature that comes back is checked
 * against the pair's public key before it is returned, so a backend that signed with another key (another
 * version, a swapped key) is caught here instead of by every verifier.
 *
 * Ed25519 has two implementations, one acceptance rule (see ed25519.ts): node:crypto (OpenSSL) where the
 * runtime has a working native Ed25519, @noble/ed25519 (bundled) where it has none.
 * The functions made from the parsed keys are made once per pair and kept in WeakMaps keyed by the pair:
 * they live as long as the cache (or the caller) holds the pair, and go with it.
 */
import { ALGORITHMS } from './algorithms.js';
import type { SignOptions } from './contract.js';
import {
  chooseEd25519Backend,
  type Ed25519BackendName,
  ed25519Backend,
  nativeEd25519Works,
} from './ed25519.js';
import { isKeyStoreError, KeyStoreError } from './errors.js';
import { KeyPair } from './key-pair.js';
import { parsePrivateKey } from './pem.js';
import { type PublicKeyPair, publicKeyObject } from './public-key-pair.js';

export { type Ed25519BackendName, ed25519Backend, nativeEd25519Works };

type SignFn = (message: Uint8Array) => Uint8Array;
type VerifyFn = (message: Uint8Array, signature: Uint8Array) => boolean;

let signers = new WeakMap<KeyPair, SignFn>();
/** null: the table refuses the pair's key, so nothing verifies with it. */
let verifiers = new WeakMap<PublicKeyPair, VerifyFn | null>();

/**
 * For tests and benchmarks only (not exported from the package): force one Ed25519 implementation, or pass
 * `undefined` to detect again with `probe`. Drops the functions made for the previous one.
 */
export function setEd25519Backend(name?: Ed25519BackendName, probe = nativeEd25519Works): void {
  chooseEd25519Backend(name, probe);
  signers = new WeakMap();
  verifiers = new WeakMap();
}

/** What signs for a pair without a private half: its store (see SignerKeyStore in contract.ts). */
export interface RemoteSigner {
  readonly type: string;
  sign?(keyId: string, data: Uint8Array, options?: SignOptions): Promise<Uint8Array>;
}

/**
 * Signs with the pair's private key by its `alg`: EdDSA (Ed25519), ES256 (P-256), RS256 (RSA >= 2048).
 * UNSUPPORTED for other key types and weak keys, INVALID_KEY if it does not parse or the table refuses it.
 * A pair without a private half is signed by `remote` (its store) with the pair's version, asynchronously.
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
  let sign = signers.get(pair);
  if (sign === undefined) {
    const spec = ALGORITHMS[pair.alg]; // the rule first: a refused key never reaches OpenSSL
    const key = parsePrivateKey(pair.privateKey, pair.keyId);
    if (key.asymmetricKeyType !== spec.keyType) {
      throw new KeyStoreError(
        'INVALID_KEY',
        `the private key of "${pair.keyId}" is not of the type of its public key: store the matching pair`,
        { keyId: pair.keyId },
      );
    }
    sign = spec.signer(key);
    signers.set(pair, sign);
  }
  return sign(message);
}

async function signRemotely(
  pair: PublicKeyPair,
  message: Uint8Array,
  remote: RemoteSigner | undefined,
): Promise<Uint8Array> {
  const storeType = remote?.type;
  void pair.alg; // a key the table refuses is not sent to the backend either
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
  let verify = verifiers.get(pair);
  if (verify === undefined) {
    verify = makeVerifier(pair);
    verifiers.set(pair, verify);
  }
  return verify?.(message, signature) === true;
}

function makeVerifier(pair: PublicKeyPair): VerifyFn | null {
  let alg: PublicKeyPair['alg'];
  try {
    alg = pair.alg;
  } catch (error) {
    // Refused by the table (small-order Ed25519, RSA under 2048 bits, another curve): verifies nothing.
    if (isKeyStoreError(error, 'UNSUPPORTED') || isKeyStoreError(error, 'INVALID_KEY')) return null;
    throw error;
  }
  return ALGORITHMS[alg].verifier(publicKeyObject(pair));
}
