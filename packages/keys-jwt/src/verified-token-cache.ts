/**
 * createJwtVerifier: verifyJwt with options fixed once and, opt-in, a cache of tokens already verified, so a
 * token presented again (a client reusing its bearer token for every request) is checked in microseconds.
 *
 * A cached token is never trusted for longer than the KeyManager trusts its key. An entry holds what the
 * full verification established (payload, header, issuer, the kid that verified it) and is keyed by the
 * SHA-256 of the whole token, so a token that differs in one byte (another signature, another claim) is a
 * miss and goes through verifyJwt; no claim is ever read from a token whose signature was not checked. On a
 * hit, before the cached answer is given:
 *
 * - the exp / nbf (and, with `maxTokenAgeSeconds`, iat) window is checked against the clock with the same
 *   tolerance and the same comparisons as jose's, so an entry is dead the moment its window closes;
 * - the issuer's verifying keys are asked of the KeyManager (`getVerificationKeys`: a Map lookup while its
 *   entry is fresh) and the entry's kid must be among them. A key revoked, retired (grace over) or rotated
 *   out is no longer there, and the entry is dropped.
 *
 * So the cache accepts a token only while verifyJwt, asked at that moment by the same KeyManager, would
 * accept its key: it cannot outlive what the KeyManager accepts. Revocation by this KeyManager (a write:
 * its `changed` event) drops the issuer's entries at once. Revocation by another process (the CLI, another
 * replica) shows when this KeyManager rereads the issuer's versions: at most its cache TTL after the write
 * (`PHLOW_KEY_CACHE_TTL_SECONDS`, default 300 s), sooner when its signing recheck or an unknown-kid refetch
 * rereads them (the recheck's `changed` event then drops the entries too), and during a store outage for at
 * most its stale-if-error window: the same bound as verifyJwt without the cache.
 *
 * Bounded: at most `maxEntries` tokens and at most `maxBytes` characters of them in total (the oldest entries
 * are dropped first; a token longer than `maxBytes` is verified but not kept), and tokens longer than
 * `maxTokenLength` are never parsed. The count alone is no bound on memory: an issuer can mint tokens whose
 * payload is thousands of tiny claims, about 50 KB of heap each at the default maxTokenLength, so 10,000 of
 * them would hold half a gigabyte. Refused tokens are not cached. With auditing on, each call is one
 * `verify` event as with verifyJwt (`source: 'cache'` on a hit).
 */
import { createHash } from 'node:crypto';
import type { KeyManager } from '@phlow/keys-core';
import { JwtError } from './errors.js';
import type { JwtKeys } from './keys.js';
import { isRemoteKeySet, remoteJwtKeys, remoteKeyId } from './remote-jwt-keys.js';
import type { RemoteKeySet } from './remote-key-set.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from './sign.js';
import {
  auditedVerification,
  checkOptions,
  type VerifiedJwt,
  type VerifyJwtOptions,
  verifyJwt,
  verifyToken,
} from './verify.js';

export interface VerifiedTokenCacheOptions {
  /** Most tokens kept; the oldest entry is dropped first. Default: 10,000. */
  readonly maxEntries?: number;
  /**
   * Most characters of the kept tokens, in total (what an entry holds, its parsed header and payload, grows
   * with its token: up to about 7 bytes of heap per character for a payload of many tiny claims); the oldest
   * entries are dropped first, and a longer token is not kept. Default: 4 MiB (4,194,304), some 8,000 tokens
   * of 500 characters.
   */
  readonly maxBytes?: number;
}

export interface JwtVerifierOptions extends VerifyJwtOptions {
  /**
   * Keep verified tokens and answer a repeated one from memory (see this file's opening comment for what
   * drops an entry). Default: off: every call is a full verifyJwt.
   */
  readonly cache?: VerifiedTokenCacheOptions | boolean;
}

export interface JwtVerifierStats {
  /** Answers from the cache. */
  readonly hits: number;
  /** Full verifications (a token not cached, or an entry that could no longer be trusted). */
  readonly misses: number;
  /** Entries dropped because their key no longer verifies or their issuer changed. */
  readonly revoked: number;
  /** Entries dropped because their exp / nbf / iat window closed. */
  readonly expired: number;
  /** Entries dropped to stay within `maxEntries` or `maxBytes`. */
  readonly evicted: number;
  readonly size: number;
  /** Characters of the kept tokens, in total (at most `maxBytes`). */
  readonly bytes: number;
}

export interface JwtVerifier {
  /** verifyJwt(keys, token, options) with the options given to createJwtVerifier. */
  verify(token: string): Promise<VerifiedJwt>;
  readonly stats: JwtVerifierStats;
  /** Empties the cache and stops listening to the KeyManager's events. */
  close(): void;
}

/** What the verifier asks of KeyManager besides JwtKeys: its events, to drop an issuer's entries on a write. */
export type JwtVerifierKeys = JwtKeys & Partial<Pick<KeyManager, 'subscribe'>>;

interface Entry {
  readonly result: VerifiedJwt;
  /** Accepted while floor(now / 1000) is in [from, until) and ≤ untilAge (seconds, as jose compares). */
  readonly from: number;
  readonly until: number;
  readonly untilAge: number;
  /** The issuer was named by the token's iss (read as unverified input, as verifyJwt reads it). */
  readonly fromToken: boolean;
  /** The token's length, counted against `maxBytes`. */
  readonly charge: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/**
 * A verifier with `options` fixed (checked now: INVALID_ARGUMENT for one that cannot work) and, with
 * `cache`, the revocation-aware verified-token cache.
 */
export function createJwtVerifier(
  keys: JwtVerifierKeys | RemoteKeySet,
  options: JwtVerifierOptions = {},
): JwtVerifier {
  // A remote JWK Set: through the same JwtKeys view verifyJwt uses (remote-jwt-keys.ts), with the set's host
  // name as keyId unless one is given. A cached token then holds while its kid is a key the set serves now
  // (`keys()`: fetched again when its max-age is spent, nbf/exp applied).
  if (isRemoteKeySet(keys)) {
    const withKeyId =
      typeof options === 'object' && options !== null
        ? { ...options, keyId: options.keyId ?? remoteKeyId(keys) }
        : options;
    return createJwtVerifier(remoteJwtKeys(keys), withKeyId);
  }
  const { cache, ...verifyOptions } = options;
  // The same checks verifyJwt makes, once: an invalid option fails here, not at the first token.
  checkOptions(verifyOptions);
  if (!cache) {
    return {
      verify: (token) => verifyJwt(keys, token, verifyOptions),
      stats: { hits: 0, misses: 0, revoked: 0, expired: 0, evicted: 0, size: 0, bytes: 0 },
      close: () => {},
    };
  }
  const maxEntries = cache === true ? DEFAULT_MAX_ENTRIES : (cache.maxEntries ?? DEFAULT_MAX_ENTRIES);
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new JwtError('INVALID_ARGUMENT', 'cache.maxEntries must be a whole number, 1 or more');
  }
  const maxBytes = cache === true ? DEFAULT_MAX_BYTES : (cache.maxBytes ?? DEFAULT_MAX_BYTES);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new JwtError('INVALID_ARGUMENT', 'cache.maxBytes must be a whole number of characters, 1 or more');
  }
  const maxLength = verifyOptions.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  const tolerance = verifyOptions.clockToleranceSeconds ?? 30;
  const maxAge = verifyOptions.maxTokenAgeSeconds;
  const now = verifyOptions.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const counts = { hits: 0, misses: 0, revoked: 0, expired: 0, evicted: 0 };
  let bytes = 0;

  /** Removes the entry kept under `hash`, if it is still `entry`: every removal goes through here. */
  const drop = (hash: string, entry: Entry): boolean => {
    if (entries.get(hash) !== entry) return false;
    entries.delete(hash);
    bytes -= entry.charge;
    return true;
  };

  const dropIssuer = (keyId: string) => {
    for (const [hash, entry] of entries) {
      if (entry.result.keyId === keyId && drop(hash, entry)) counts.revoked++;
    }
  };
  // A write of this KeyManager (rotate, revoke, delete) or its signing recheck finding the issuer's versions
  // changed: the issuer's entries go at once, before anyone asks.
  const unsubscribe = keys.subscribe?.((event) => {
    if ((event.type === 'changed' || event.type === 'rotated') && typeof event.keyId === 'string') {
      dropIssuer(event.keyId);
    }
  });

  const remember = (hash: string, charge: number, result: VerifiedJwt) => {
    const { exp, nbf, iat } = result.payload;
    // verifyJwt requires exp; nbf and iat were checked to be numbers when present.
    if (typeof exp !== 'number' || charge > maxBytes) return;
    const from = Math.max(
      typeof nbf === 'number' ? nbf - tolerance : Number.NEGATIVE_INFINITY,
      maxAge !== undefined && typeof iat === 'number' ? iat - tolerance : Number.NEGATIVE_INFINITY,
    );
    const untilAge =
      maxAge !== undefined && typeof iat === 'number' ? iat + maxAge + tolerance : Number.POSITIVE_INFINITY;
    // The same token verified twice at once: the later answer replaces the earlier entry.
    const same = entries.get(hash);
    if (same !== undefined) drop(hash, same);
    for (const [oldest, entry] of entries) {
      if (entries.size < maxEntries && bytes + charge <= maxBytes) break;
      drop(oldest, entry);
      counts.evicted++;
    }
    entries.set(hash, {
      result: deepFreeze(result),
      from,
      until: exp + tolerance,
      untilAge,
      fromToken: verifyOptions.keyId === undefined,
      charge,
    });
    bytes += charge;
  };

  /** The cached answer for `hash`, or undefined (then the token is verified in full). */
  const lookup = async (hash: string): Promise<VerifiedJwt | undefined> => {
    const entry = entries.get(hash);
    if (entry === undefined) return undefined;
    const seconds = Math.floor(now() / 1000);
    if (!(seconds >= entry.from && seconds < entry.until && seconds <= entry.untilAge)) {
      if (drop(hash, entry)) counts.expired++;
      return undefined;
    }
    const { keyId, kid } = entry.result;
    let verifying: readonly { readonly kid: string }[];
    try {
      verifying = await keys.getVerificationKeys(keyId, { unverified: entry.fromToken });
    } catch {
      // The issuer cannot be read (deleted, access denied, an outage past the stale window): the full
      // verification gives the proper error.
      verifying = [];
    }
    if (!verifying.some((pair) => pair.kid === kid)) {
      drop(hash, entry);
      counts.revoked++;
      return undefined;
    }
    return entry.result;
  };

  const verify = async (token: string): Promise<VerifiedJwt> => {
    if (typeof token !== 'string' || token.length > maxLength) return verifyJwt(keys, token, verifyOptions);
    const hash = createHash('sha256').update(token).digest('base64');
    const cached = entries.has(hash) ? await lookup(hash) : undefined;
    if (cached !== undefined) {
      counts.hits++;
      return keys.auditing ? auditedVerification(keys, async () => cached, 'cache') : cached;
    }
    counts.misses++;
    const result = await auditedVerification(keys, (seen) => verifyToken(keys, token, verifyOptions, seen));
    remember(hash, token.length, result);
    return result;
  };

  return {
    verify,
    get stats() {
      return { ...counts, size: entries.size, bytes };
    },
    close() {
      unsubscribe?.();
      entries.clear();
      bytes = 0;
    },
  };
}
