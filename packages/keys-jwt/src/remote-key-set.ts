/**
 * createRemoteKeySet: the one fetcher and cache of a JWK Set someone else publishes (a peer agent's JWKS, an
 * A2A card's pinned JWK Set URL, a Web Bot Auth key directory), for verifyJwt, keys-a2a and keys-httpsig.
 *
 * Fetching is bounded-fetch.ts (deadline, size, no redirects, https, address policy); each key is checked by
 * remote-jwk.ts (public members, core's algorithm table, thumbprint kid). The cache follows HTTP: `max-age`
 * decides freshness (clamped to [minMaxAgeMs, maxMaxAgeMs]), the `ETag` is revalidated with If-None-Match
 * (a 304 keeps the set). A failed fetch never evicts known keys: they are served for `staleIfErrorMs` past
 * their freshness, and then refused (the keys stay in memory, so a later 304 can still revive them). An unknown
 * `kid` refetches at most once per `cooldownMs` (as jose's remote JWKS does), whatever the number of callers
 * or distinct kids, and a kid still unknown after that refetch is not refetched for again for `negativeTtlMs`
 * (at most 5 minutes, the Web Bot Auth directory rule). Concurrent callers share one fetch. A failed fetch is
 * not retried before the cooldown, or the server's Retry-After (bounded to 15 minutes) when it is longer.
 * Background refresh (opt-in) refetches before expiry with jitter, on an unref'd timer that `close()` stops.
 */

import type { KeyAuditEvent } from '@phlow/keys-core';
import { BoundedMap } from '@phlow/keys-core/adapter';
import { boundedFetch, displayUrl, type ResolveHost } from './bounded-fetch.js';
import { isRemoteKeySetError, RemoteKeySetError, type RemoteKeySetErrorCode } from './remote-errors.js';
import { inValidityWindow, type RemoteKey, type RemoteKeySkipReason, remoteKeyOf } from './remote-jwk.js';
import { parseStrictJson } from './strict-json.js';

export type { RemoteKey } from './remote-jwk.js';

/** The default media types: RFC 7517's, then plain JSON (most JWKS endpoints). */
export const DEFAULT_JWK_SET_MEDIA_TYPES: readonly string[] = [
  'application/jwk-set+json',
  'application/json',
];
/** The longest negative caching of an unknown kid (the Web Bot Auth directory rule). */
export const MAX_NEGATIVE_TTL_MS = 5 * 60_000;
/** The longest wait a Retry-After can impose before the next attempt. */
const MAX_RETRY_AFTER_MS = 15 * 60_000;
/** Most unknown kids remembered at once (negative cache). */
const MAX_NEGATIVE_ENTRIES = 1000;
/** Longest kid looked up: longer ones are unknown without a fetch. */
const MAX_KID_LENGTH = 256;

/** What the set reports on `onEvent`: ids, codes, counts and times; never a key, a member of one, or a body. */
export type RemoteKeySetEvent =
  /** A fetch succeeded: 200 with a new set, or 304 (the set kept). */
  | {
      readonly type: 'fetch';
      readonly url: string;
      readonly status: 200 | 304;
      readonly keys: number;
      readonly skipped: number;
      readonly freshForMs: number;
    }
  /** A fetch failed; `stale` when known keys are still served (within staleIfErrorMs). */
  | {
      readonly type: 'fetch-failed';
      readonly url: string;
      readonly code: RemoteKeySetErrorCode;
      readonly status?: number;
      readonly stale: boolean;
    }
  /** A member of the set was not taken, and why (index in `keys`, never the member). */
  | {
      readonly type: 'key-skipped';
      readonly url: string;
      readonly index: number;
      readonly reason: RemoteKeySkipReason;
    }
  /** Known keys were served past their freshness because fetching failed. */
  | {
      readonly type: 'stale';
      readonly url: string;
      readonly staleForMs: number;
      readonly code: RemoteKeySetErrorCode;
    }
  /** One verification by verifyJwt with this set (as KeyManager's `verify` audit event; storeType `remote-jwks`). */
  | KeyAuditEvent;

export interface RemoteKeySetOptions {
  /** Media types sent in Accept and required of the response. Default: application/jwk-set+json, application/json. */
  readonly accept?: readonly string[];
  /** Allow private, loopback, link-local, unique-local, mapped and reserved addresses. Default: false. */
  readonly allowPrivateAddresses?: boolean;
  /** Allow loopback addresses, and plain http: to them (tests, sidecars). Default: false. */
  readonly allowInsecureLoopback?: boolean;
  /** Deadline of a whole fetch (resolve, connect, TLS, headers, body), ms. Default: 5000. */
  readonly timeoutMs?: number;
  /** Largest body read, bytes. Default: 262144 (256 KiB). */
  readonly maxBytes?: number;
  /** Most keys in the set; a larger set is refused whole (TOO_MANY_KEYS). Default: 100. */
  readonly maxKeys?: number;
  /** Refetch on an unknown kid, and retry after a failure, at most once per this many ms. Default: 30000. */
  readonly cooldownMs?: number;
  /** Least freshness, whatever Cache-Control says (also used without max-age), ms. Default: 60000. */
  readonly minMaxAgeMs?: number;
  /** Most freshness, whatever Cache-Control says, ms. Default: 86400000 (24 h). */
  readonly maxMaxAgeMs?: number;
  /** How long past their freshness known keys are served while fetches fail, ms. Default: 86400000 (24 h). */
  readonly staleIfErrorMs?: number;
  /** How long a kid still unknown after a refetch triggers no refetch, ms, at most 300000. Default: 60000. */
  readonly negativeTtlMs?: number;
  /** Refetch in the background before the set expires (with jitter), on an unref'd timer. Default: false. */
  readonly backgroundRefresh?: boolean;
  /**
   * Checks a 200 response before its keys are used (a directory's response signature, say); throwing refuses
   * it (BAD_RESPONSE, the error as `cause`). Not called for a 304, which keeps the set it validated.
   */
  readonly validate?: (response: {
    readonly status: number;
    readonly headers: Headers;
    readonly body: Uint8Array;
  }) => Promise<void> | void;
  /** Events (fetch, fetch-failed, key-skipped, stale, verifyJwt's audit events). Must not throw. */
  readonly onEvent?: (event: RemoteKeySetEvent) => void;
  /** Trust anchors (PEM) for https instead of Node's: a private PKI, a test certificate. Default: Node's. */
  readonly ca?: string | readonly string[];
  /** Host name resolution, for tests and custom resolvers; the answer is checked and connected to. Default: the system resolver. */
  readonly resolve?: ResolveHost;
  /** Clock, ms. Default: Date.now. */
  readonly now?: () => number;
}

export interface RemoteKeySet {
  /** The set's URL, without query or fragment (what messages and events name). */
  readonly url: string;
  /** The key with this RFC 7638 thumbprint, valid now; an unknown kid refetches at most once per cooldown. */
  getKey(kid: string): Promise<RemoteKey | undefined>;
  /** The keys valid now (inside their nbf/exp). */
  keys(): Promise<readonly RemoteKey[]>;
  /** Fetches now (shared with a fetch in flight), whatever the freshness or cooldown; throws on failure, keeping known keys. */
  refresh(): Promise<void>;
  /** Stops background refresh; later calls fail with CLOSED. */
  close(): void;
}

interface Loaded {
  readonly keys: ReadonlyMap<string, RemoteKey>;
  readonly etag: string | undefined;
  readonly freshUntil: number;
}

/** The audit hook of sets made here, for verifyJwt (remote-jwt-keys.ts). */
const auditHooks = new WeakMap<RemoteKeySet, { emit: (event: KeyAuditEvent) => void; now: () => number }>();

/** The hook through which verifyJwt records its audit event for `set`, when it has an onEvent. */
export function remoteAuditHook(
  set: RemoteKeySet,
): { emit: (event: KeyAuditEvent) => void; now: () => number } | undefined {
  return auditHooks.get(set);
}

function invalid(message: string): never {
  throw new RemoteKeySetError('INVALID_ARGUMENT', message);
}

function bound(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value >= min && value <= max)) {
    invalid(`${name} must be a whole number from ${min} to ${max} (default ${fallback})`);
  }
  return value;
}

/** Freshness in ms from Cache-Control (max-age minus Age; no-store/no-cache: 0), or undefined without one. */
function maxAgeOf(headers: Headers): number | undefined {
  const cc = headers.get('cache-control')?.toLowerCase();
  if (!cc) return undefined;
  if (/(^|[\s,])(no-store|no-cache)([\s,=]|$)/.test(cc)) return 0;
  const match = /(^|[\s,])max-age\s*=\s*"?(\d{1,10})"?/.exec(cc);
  if (!match) return undefined;
  const age = Number(headers.get('age'));
  return Math.max(0, Number(match[2]) - (Number.isSafeInteger(age) && age > 0 ? age : 0)) * 1000;
}

/** A fetched and cached remote JWK Set; see the file comment for the rules. */
export function createRemoteKeySet(url: string | URL, options: RemoteKeySetOptions = {}): RemoteKeySet {
  if (typeof options !== 'object' || options === null) invalid('options must be an object');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    invalid('url is not a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') invalid('url must be an https: URL');
  if (parsed.username || parsed.password) invalid('url must not carry credentials (user:password@)');
  parsed.hash = '';
  const where = displayUrl(parsed);

  const timeoutMs = bound('timeoutMs', options.timeoutMs, 5000, 1, 2 ** 31 - 1);
  const maxBytes = bound('maxBytes', options.maxBytes, 256 * 1024, 1);
  const maxKeys = bound('maxKeys', options.maxKeys, 100, 1);
  const cooldownMs = bound('cooldownMs', options.cooldownMs, 30_000, 0);
  const minMaxAgeMs = bound('minMaxAgeMs', options.minMaxAgeMs, 60_000, 0);
  const maxMaxAgeMs = bound('maxMaxAgeMs', options.maxMaxAgeMs, 86_400_000, minMaxAgeMs, 2 ** 31 - 1);
  const staleIfErrorMs = bound('staleIfErrorMs', options.staleIfErrorMs, 86_400_000, 0);
  const negativeTtlMs = bound('negativeTtlMs', options.negativeTtlMs, 60_000, 0, MAX_NEGATIVE_TTL_MS);
  const accept = options.accept ?? DEFAULT_JWK_SET_MEDIA_TYPES;
  if (
    !Array.isArray(accept) ||
    accept.length === 0 ||
    !accept.every((t) => typeof t === 'string' && /^[\w.+-]+\/[\w.+-]+$/.test(t))
  ) {
    invalid('accept must be a non-empty list of media types (type/subtype)');
  }
  const acceptLower = accept.map((t) => t.toLowerCase());
  for (const name of ['validate', 'onEvent', 'resolve', 'now'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function')
      invalid(`${name} must be a function`);
  }
  const now = options.now ?? Date.now;
  const policy = {
    allowPrivateAddresses: options.allowPrivateAddresses === true,
    allowInsecureLoopback: options.allowInsecureLoopback === true,
  };

  const emit = (event: RemoteKeySetEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // An event hook must not break verification.
    }
  };

  let loaded: Loaded | undefined;
  let inflight: Promise<Loaded> | undefined;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let nextAttempt = Number.NEGATIVE_INFINITY;
  let lastError: RemoteKeySetError | undefined;
  let staleReported = false;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const negative = new BoundedMap<string, number>(MAX_NEGATIVE_ENTRIES);

  const schedule = (delayMs: number) => {
    if (!options.backgroundRefresh || closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = undefined;
        fetchOnce().catch(() => {
          // Known keys are kept; try again after the cooldown (or Retry-After), with jitter.
          schedule(Math.max(nextAttempt - now(), cooldownMs, 1000) * (1 + Math.random() * 0.2));
        });
      },
      Math.min(Math.max(delayMs, 0), 2 ** 31 - 1),
    );
    timer.unref();
  };

  const load = async (): Promise<Loaded> => {
    const previous = loaded;
    const response = await boundedFetch(parsed, {
      timeoutMs,
      maxBytes,
      accept: acceptLower,
      policy,
      resolve: options.resolve,
      ifNoneMatch: previous?.etag,
      ca: options.ca as string | string[] | undefined,
    });
    const fetchedAt = now();
    const maxAge = maxAgeOf(response.headers);
    const freshForMs = Math.min(Math.max(maxAge ?? minMaxAgeMs, minMaxAgeMs), maxMaxAgeMs);
    if (response.status === 304 && previous) {
      emit({ type: 'fetch', url: where, status: 304, keys: previous.keys.size, skipped: 0, freshForMs });
      return { ...previous, freshUntil: fetchedAt + freshForMs };
    }
    if (options.validate) {
      try {
        await options.validate({ status: response.status, headers: response.headers, body: response.body });
      } catch (cause) {
        throw new RemoteKeySetError(
          'BAD_RESPONSE',
          `${where}: the response was refused by options.validate`,
          {
            url: where,
            status: response.status,
            cause,
          },
        );
      }
    }
    const badResponse = (why: string) =>
      new RemoteKeySetError('BAD_RESPONSE', `${where}: ${why}; serve a JWK Set ({"keys": [...]})`, {
        url: where,
        status: response.status,
      });
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(response.body);
    } catch {
      throw badResponse('the body is not UTF-8');
    }
    const json = parseStrictJson(text);
    if ('refused' in json) throw badResponse(json.refused);
    const set = json.value as { keys?: unknown } | null;
    if (typeof set !== 'object' || set === null || Array.isArray(set) || !Array.isArray(set.keys)) {
      throw badResponse('the body is not a JSON object with a "keys" array');
    }
    if (set.keys.length > maxKeys) {
      throw new RemoteKeySetError(
        'TOO_MANY_KEYS',
        `${where}: the set has more than ${maxKeys} keys (maxKeys); none was used`,
        { url: where, status: response.status },
      );
    }
    const keys = new Map<string, RemoteKey>();
    let skipped = 0;
    set.keys.forEach((member: unknown, index: number) => {
      const key = remoteKeyOf(member);
      const reason = 'skipped' in key ? key.skipped : keys.has(key.kid) ? 'duplicate' : undefined;
      if (reason !== undefined) {
        skipped++;
        emit({ type: 'key-skipped', url: where, index, reason });
        return;
      }
      keys.set((key as RemoteKey).kid, key as RemoteKey);
    });
    emit({ type: 'fetch', url: where, status: 200, keys: keys.size, skipped, freshForMs });
    return { keys, etag: response.headers.get('etag') ?? undefined, freshUntil: fetchedAt + freshForMs };
  };

  /** One fetch, shared by every caller while it runs. */
  const fetchOnce = (): Promise<Loaded> => {
    if (inflight) return inflight;
    lastAttempt = now();
    inflight = load()
      .then(
        (result) => {
          loaded = result;
          lastError = undefined;
          staleReported = false;
          nextAttempt = Number.NEGATIVE_INFINITY;
          const ttl = result.freshUntil - now();
          // Refresh between 80 % and 95 % of the freshness: replicas spread out instead of all at once.
          schedule(ttl * (0.8 + Math.random() * 0.15));
          return result;
        },
        (error: unknown) => {
          const failure = isRemoteKeySetError(error)
            ? error
            : new RemoteKeySetError('FETCH_FAILED', `${where}: the fetch failed`, {
                url: where,
                cause: error,
              });
          lastError = failure;
          staleReported = false;
          const wait = Math.min(Math.max(failure.retryAfterMs ?? 0, cooldownMs), MAX_RETRY_AFTER_MS);
          nextAttempt = now() + wait;
          emit({
            type: 'fetch-failed',
            url: where,
            code: failure.code,
            ...(failure.status !== undefined ? { status: failure.status } : {}),
            stale: loaded !== undefined && now() < loaded.freshUntil + staleIfErrorMs,
          });
          throw failure;
        },
      )
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  const checkOpen = () => {
    if (closed)
      throw new RemoteKeySetError('CLOSED', `${where}: the remote key set was closed`, { url: where });
  };

  /** The set to answer from: fresh, refetched, or stale within the bound; else the last fetch error. */
  const current = async (): Promise<Loaded> => {
    checkOpen();
    const t = now();
    if (loaded && t < loaded.freshUntil) return loaded;
    try {
      if (inflight) return await inflight;
      if (t >= nextAttempt) return await fetchOnce();
    } catch {
      // Served stale below, or refused.
    }
    const at = now();
    if (loaded && at < loaded.freshUntil + staleIfErrorMs) {
      if (!staleReported && lastError) {
        staleReported = true;
        emit({ type: 'stale', url: where, staleForMs: at - loaded.freshUntil, code: lastError.code });
      }
      return loaded;
    }
    throw (
      lastError ??
      new RemoteKeySetError('FETCH_FAILED', `${where}: the set could not be fetched`, { url: where })
    );
  };

  const set: RemoteKeySet = {
    url: where,
    async getKey(kid) {
      if (typeof kid !== 'string') invalid('kid must be a string');
      const first = await current();
      if (kid.length === 0 || kid.length > MAX_KID_LENGTH) return undefined;
      const known = first.keys.get(kid);
      if (known) return inValidityWindow(known, now()) ? known : undefined;
      const t = now();
      const until = negative.get(kid);
      if (until !== undefined && t < until) return undefined;
      let refetched = false;
      try {
        if (inflight) {
          refetched = true;
          await inflight;
        } else if (t - lastAttempt >= cooldownMs && t >= nextAttempt) {
          refetched = true;
          await fetchOnce();
        }
      } catch {
        // Known keys stay; this kid is just not among them.
      }
      const found = loaded?.keys.get(kid);
      if (found) return inValidityWindow(found, now()) ? found : undefined;
      if (refetched) negative.set(kid, now() + negativeTtlMs);
      return undefined;
    },
    async keys() {
      const { keys } = await current();
      const t = now();
      return [...keys.values()].filter((key) => inValidityWindow(key, t));
    },
    async refresh() {
      checkOpen();
      await fetchOnce();
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
  if (options.onEvent) auditHooks.set(set, { emit: (event) => emit(event), now });
  return set;
}
