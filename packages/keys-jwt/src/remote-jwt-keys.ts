/**
 * verifyJwt on a remote JWK Set: a JwtKeys view of a RemoteKeySet, so that tokens verified against someone
 * else's published keys go through exactly the checks, error codes and audit event of store verification
 * (verify.ts), with no second verifier to keep in step. The issuer is the set: `getVerificationKeys` is its
 * keys valid now, `getKeyByKid` its `getKey` (one refetch per cooldown on an unknown kid; NOT_FOUND, which
 * verifyJwt answers as KID_UNKNOWN). A set that cannot be fetched (and has nothing to serve within its
 * stale-if-error bound) is core's UNAVAILABLE, with the RemoteKeySetError as `cause`: an outage, not a bad
 * token, as for a store that is down. The audit event goes to the set's `onEvent`, storeType `remote-jwks`.
 */
import {
  type AuditFields,
  auditEvent,
  type KeyAuditOperation,
  KeyStoreError,
  PublicKeyPair,
} from '@phlow/keys-core';
import type { JwtKeys } from './keys.js';
import { isRemoteKeySetError } from './remote-errors.js';
import { type RemoteKey, type RemoteKeySet, remoteAuditHook } from './remote-key-set.js';

const STORE_TYPE = 'remote-jwks';

/** True for a RemoteKeySet (from any copy of this package), false for a KeyManager. */
export function isRemoteKeySet(value: unknown): value is RemoteKeySet {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.url === 'string' &&
    typeof v.getKey === 'function' &&
    typeof v.keys === 'function' &&
    typeof v.getVerificationKeys !== 'function'
  );
}

/** The key id verifyJwt reports for a remote set unless the caller names one: the set's host name. */
export function remoteKeyId(set: RemoteKeySet): string {
  return new URL(set.url).hostname;
}

const pairs = new WeakMap<RemoteKey, PublicKeyPair>();

function pairOf(key: RemoteKey, keyId: string): PublicKeyPair {
  let pair = pairs.get(key);
  if (!pair) {
    pair = new PublicKeyPair(keyId, key.key.export({ type: 'spki', format: 'pem' }) as string);
    pairs.set(key, pair);
  }
  return pair;
}

async function fromSet<T>(read: () => Promise<T>, keyId: string): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!isRemoteKeySetError(error)) throw error;
    throw new KeyStoreError(
      'UNAVAILABLE',
      `the remote JWK Set cannot be used (${error.code}): ${error.message.replace(/^\[phlow\] \[remote-jwks\] /, '')}`,
      { storeType: STORE_TYPE, keyId, cause: error },
    );
  }
}

const views = new WeakSet<object>();

/** True for a view made by remoteJwtKeys: verifyJwt then refuses a token without `kid` (KID_UNKNOWN). */
export function isRemoteView(keys: object): boolean {
  return views.has(keys);
}

/** The JwtKeys view of `set` that verifyJwt reads (only the members it uses). */
export function remoteJwtKeys(set: RemoteKeySet): JwtKeys {
  const hook = remoteAuditHook(set);
  const view = {
    auditing: hook !== undefined,
    async getVerificationKeys(keyId: string) {
      const keys = await fromSet(() => set.keys(), keyId);
      return keys.map((key) => pairOf(key, keyId));
    },
    async getKeyByKid(keyId: string, kid: string) {
      const key = await fromSet(() => set.getKey(kid), keyId);
      if (!key) {
        throw new KeyStoreError('NOT_FOUND', 'no key of the remote JWK Set has this kid', {
          storeType: STORE_TYPE,
          keyId,
        });
      }
      return pairOf(key, keyId);
    },
    recordAudit(
      operation: KeyAuditOperation,
      keyId: string | undefined,
      startedAt: number,
      fields: AuditFields,
    ) {
      hook?.emit(auditEvent(operation, startedAt, { storeType: STORE_TYPE, keyId, ...fields }, hook.now()));
    },
  };
  views.add(view);
  // verifyJwt reads these four members only; the rest of JwtKeys (signing) has no meaning for someone else's keys.
  return view as unknown as JwtKeys;
}
