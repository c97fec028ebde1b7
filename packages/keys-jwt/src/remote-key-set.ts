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
import { auditSinkFromEnv, type KeyAuditEvent } from '@phlow/keys-core';
import { BoundedMap } from '@phlow/keys-core/adapter';
import { boundedFetch } from './bounded-fetch.js';
import { isRemoteKeySetError, RemoteKeySetError } from './remote-errors.js';
import { inValidityWindow, type RemoteKey, remoteKeyOf } from './remote-jwk.js';
import {
  invalid,
  MAX_KID_LENGTH,
  MAX_NEGATIVE_ENTRIES,
  MAX_RETRY_AFTER_MS,
  type RemoteKeySet,
  type RemoteKeySetEvent,
  type RemoteKeySetOptions,
  remoteKeySetSettings,
} from './remote-options.js';
import { parseStrictJson } from './strict-json.js';

export type { RemoteKey } from './remote-jwk.js';
export {
  DEFAULT_JWK_SET_MEDIA_TYPES,
  MAX_NEGATIVE_TTL_MS,
  type RemoteKeySet,
  type RemoteKeySetEvent,
  type RemoteKeySetOptions,
} from './remote-options.js';

/** Least delay between two background refreshes of one set. */
const MIN_BACKGROUND_REFRESH_MS = 1000;

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

/**
 * Freshness in ms as RFC 9111 computes it for a private cache: Cache-Control `max-age` minus `Age`
 * (`no-store`/`no-cache`: 0), else `Expires` minus `Date`; undefined when the response says neither.
 */
function maxAgeOf(headers: Headers): number | undefined {
  const cc = headers.get('cache-control')?.toLowerCase() ?? '';
  if (/(^|[\s,])(no-store|no-cache)([\s,=]|$)/.test(cc)) return 0;
  const age = Number(headers.get('age'));
  const aged = Number.isSafeInteger(age) && age > 0 ? age * 1000 : 0;
  const match = /(^|[\s,])max-age\s*=\s*"?(\d{1,10})"?/.exec(cc);
  if (match) return Math.max(0, Number(match[2]) * 1000 - aged);
  const expires = headers.get('expires');
  if (expires === null) return undefined;
  const at = Date.parse(expires);
  const date = Date.parse(headers.get('date') ?? '');
  // An Expires that does not parse (RFC 9111: "0") means already expired.
  return Number.isFinite(at) && Number.isFinite(date) ? Math.max(0, at - date - aged) : 0;
}

/** `work`, or `late()` once `ms` have passed: a hook that never settles must not hold the shared fetch for ever. */
async function withinTimeout<T>(work: Promise<T> | T, ms: number, late: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
    timer.unref();
  });
  try {
    return await Promise.race([Promise.resolve(work), expiry]);
  } finally {
    clearTimeout(timer);
  }
}

/** A fetched and cached remote JWK Set; see the file comment for the rules. */
export function createRemoteKeySet(url: string | URL, options: RemoteKeySetOptions = {}): RemoteKeySet {
  const settings = remoteKeySetSettings(url, options);
  const { parsed, where, timeoutMs, maxBytes, maxKeys, cooldownMs, minMaxAgeMs, maxMaxAgeMs } = settings;
  const { staleIfErrorMs, negativeTtlMs, accept, now, policy } = settings;

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
      accept,
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
        await withinTimeout(
          options.validate({ status: response.status, headers: response.headers, body: response.body }),
          timeoutMs,
          () =>
            new RemoteKeySetError(
              'TIMEOUT',
              `${where}: options.validate did not finish within ${timeoutMs} ms (timeoutMs)`,
              { url: where, status: response.status },
            ),
        );
      } catch (cause) {
        if (isRemoteKeySetError(cause, 'TIMEOUT')) throw cause;
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
          // Refresh between 80 % and 95 % of the freshness: replicas spread out instead of all at once. Never
          // sooner than 1 s: a set fresh for 0 ms (no-store, with minMaxAgeMs 0) would otherwise be refetched
          // in a loop as fast as the server answers.
          schedule(Math.max(ttl * (0.8 + Math.random() * 0.15), MIN_BACKGROUND_REFRESH_MS));
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
  // verifyJwt's audit events go where a KeyManager's go: the onEvent hook and the PHLOW_KEY_AUDIT_LOG sink.
  const sink = auditSinkFromEnv(process.env);
  if (options.onEvent || sink) {
    auditHooks.set(set, {
      emit(event) {
        try {
          sink?.(event);
        } catch {
          // Lost lines are counted by the sink; verification goes on.
        }
        emit(event);
      },
      now,
    });
  }
  return set;
}
