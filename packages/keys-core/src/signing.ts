/**
 * How KeyManager signs and verifies. Signing: the pair the key cache's timeline picks, through the one signing seam (`signWith`
 * in signer.ts: node:crypto or noble in process, the store's backend for a signer store), recorded as ONE
 * `sign` audit event that names the key, and an `activated` event the first time this process signs with a
 * key that replaced the one it used. Verifying: the id's verifying keys (`verifyWith`, the same seam), with the
 * one refetch on a miss (key-cache.ts), recorded as one `verify` event.
 */
import { auditFailure } from './audit.js';
import { type Auditor, bytes, monotonicNow } from './audit-events.js';
import type { KeyStore } from './contract.js';
import { KeyStoreError } from './errors.js';
import type { KeyCache } from './key-cache.js';
import type { KeyAccessOptions, SignResult } from './manager-options.js';
import type { PublicKeyPair } from './public-key-pair.js';
import { signWith, verifyWith } from './signer.js';

export interface SigningParts {
  readonly store: KeyStore;
  readonly cache: KeyCache;
  readonly audit: Auditor;
}

export interface Signed {
  readonly pair: PublicKeyPair;
  readonly signature: Uint8Array;
}

/**
 * The key `sign` uses now: the cached view's signing key (one Map lookup when fresh; see signing-recheck.ts),
 * returned as is, not as a promise, so that a fresh key costs no turn of the microtask queue.
 */
export function signingKey(cache: KeyCache, keyId: string): PublicKeyPair | Promise<PublicKeyPair> {
  return cache.peekForSigning(keyId)?.signing ?? cache.view(keyId).then((view) => view.signing);
}

/**
 * The key `kid` of `keyId` for `signDetailed(id, data, { kid })`: the key that signs now or a newer published
 * one waiting for its activation; NOT_FOUND for any other (unknown, in its grace period, revoked).
 */
export async function publishedKey(
  cache: KeyCache,
  keyId: string,
  kid: string,
  storeType: string,
): Promise<PublicKeyPair> {
  const view = await cache.view(keyId);
  // Verifying keys come newest first: the signing key and the pending ones before it.
  for (const pair of view.verifying) {
    if (pair.kid === kid) return pair;
    if (pair.kid === view.signing.kid) break;
  }
  throw new KeyStoreError(
    'NOT_FOUND',
    `"${keyId}" has no key that signs now or waits for its activation with that kid: sign without a kid (the key that signs now)`,
    { keyId, storeType },
  );
}

/**
 * `key` itself while it still verifies (for the deprecated `signWithKey`); NOT_FOUND once it was retired or
 * revoked, so that a pair held from earlier can never sign after its key stopped verifying.
 */
export async function stillVerifying(
  cache: KeyCache,
  key: PublicKeyPair,
  storeType: string,
): Promise<PublicKeyPair> {
  const view = await cache.view(key.keyId);
  if (view.verifying.some((pair) => pair.kid === key.kid)) return key;
  throw new KeyStoreError(
    'NOT_FOUND',
    `the key ${key.kid} of "${key.keyId}" no longer verifies (retired or revoked): sign with signDetailed("${key.keyId}", data), which picks the key that signs now`,
    { keyId: key.keyId, storeType },
  );
}

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => value instanceof Promise;

/**
 * Signs with the pair `pick` names, audited when auditing is on (else the plain seam). A pick and a signature
 * that are ready (a cached key signed in this process) are not awaited: the audited hot path is as
 * synchronous as the plain one, and costs one event, not three turns of the microtask queue. Its result is
 * then returned as is, not as a promise (a promise only when the key or the signature had to be awaited):
 * the callers are async functions, which await it or return it, and where a failure thrown here becomes a
 * rejection as one from the promise does.
 */
export function signWithPick(
  parts: SigningParts,
  keyId: string,
  data: Uint8Array | string,
  options: KeyAccessOptions | undefined,
  pick: () => PublicKeyPair | Promise<PublicKeyPair>,
): Signed | Promise<Signed> {
  const { store, cache, audit } = parts;
  if (!audit.auditing) return plainSigned(store, data, pick);
  const started = monotonicNow();
  const source = cache.isFresh(keyId) ? 'cache' : 'store';
  const messageSha256 = audit.messageHash(data);
  let picked: PublicKeyPair;
  let signed: Uint8Array;
  try {
    const pickedNow = pick();
    if (isPromise(pickedNow)) {
      return signedLater(parts, keyId, data, options, started, source, messageSha256, pickedNow);
    }
    picked = pickedNow;
    const signing = signWith(picked, bytes(data), store);
    if (isPromise(signing)) {
      return signedLater(parts, keyId, data, options, started, source, messageSha256, picked, signing);
    }
    signed = signing;
  } catch (error) {
    audit.record('sign', keyId, started, options, { source, messageSha256, ...auditFailure(error) });
    throw error;
  }
  // Outside the try: a success that fail-closed withholds (AUDIT_UNAVAILABLE from record) is one event, not a
  // success followed by a failure.
  return recordSigned(audit, keyId, options, started, source, messageSha256, picked, signed);
}

async function plainSigned(
  store: KeyStore,
  data: Uint8Array | string,
  pick: () => PublicKeyPair | Promise<PublicKeyPair>,
): Promise<Signed> {
  const pair = await pick();
  return { pair, signature: await signWith(pair, bytes(data), store) };
}

/** The audited signature when the key or the signature is awaited: the same steps and events as above. */
async function signedLater(
  { store, audit }: SigningParts,
  keyId: string,
  data: Uint8Array | string,
  options: KeyAccessOptions | undefined,
  started: number,
  source: 'cache' | 'store',
  messageSha256: string | undefined,
  picked: PublicKeyPair | Promise<PublicKeyPair>,
  signing?: Uint8Array | Promise<Uint8Array>,
): Promise<Signed> {
  let pair: PublicKeyPair;
  let signature: Uint8Array;
  try {
    pair = isPromise(picked) ? await picked : picked;
    const signed = signing ?? signWith(pair, bytes(data), store);
    signature = isPromise(signed) ? await signed : signed;
  } catch (error) {
    audit.record('sign', keyId, started, options, { source, messageSha256, ...auditFailure(error) });
    throw error;
  }
  return recordSigned(audit, keyId, options, started, source, messageSha256, pair, signature);
}

/** Records the `sign` event (and `activated` on a new signing key); throws where fail-closed refuses. */
function recordSigned(
  audit: Auditor,
  keyId: string,
  options: KeyAccessOptions | undefined,
  started: number,
  source: 'cache' | 'store',
  messageSha256: string | undefined,
  pair: PublicKeyPair,
  signature: Uint8Array,
): Signed {
  audit.noteSigningKey(keyId, pair.kid, pair.version, started, options);
  audit.record('sign', keyId, started, options, {
    kid: pair.kid,
    version: pair.version,
    source,
    messageSha256,
  });
  return { pair, signature };
}

/** What `signDetailed` returns for a signature by `pair`. */
export function detailed({ pair, signature }: Signed): SignResult {
  return {
    signature,
    keyId: pair.keyId,
    kid: pair.kid,
    alg: pair.alg,
    ...(pair.version !== undefined ? { version: pair.version } : {}),
  };
}

/** True if a verifying key of `keyId` accepts `signature`; one `verify` event when auditing. */
export async function verifyAudited(
  parts: SigningParts,
  keyId: string,
  data: Uint8Array | string,
  signature: Uint8Array,
  options: KeyAccessOptions | undefined,
): Promise<boolean> {
  const { cache, audit } = parts;
  const check = () => {
    const message = bytes(data);
    return cache.findVerifying(keyId, (pair) => verifyWith(pair, message, signature));
  };
  if (!audit.auditing) {
    // The hot path: a fresh cached view, checked in this turn; a miss goes on to the one refetch.
    const view = cache.peek(keyId);
    if (view === undefined) return (await check()) !== undefined;
    const message = bytes(data);
    const accepts = (pair: PublicKeyPair) => verifyWith(pair, message, signature);
    if (view.verifying.some(accepts)) return true;
    return (await cache.refetch(keyId, view))?.verifying.some(accepts) === true;
  }
  const source = cache.isFresh(keyId) ? 'cache' : 'store';
  const messageSha256 = audit.messageHash(data);
  const pair = await audit.audited(
    'verify',
    keyId,
    options,
    check,
    (found) => ({
      kid: found?.kid,
      version: found?.version,
      valid: found !== undefined,
      // The one code for a signature that does not verify, as keys-jwt's verifyJwt reports it.
      ...(found === undefined ? { errorCode: 'SIGNATURE_INVALID' } : {}),
      source,
      messageSha256,
    }),
    { source, messageSha256 },
  );
  return pair !== undefined;
}
