/**
 * createJwksHandler: serves the JWK Set at /.well-known/jwks.json as a web-standard
 * `(request: Request) => Promise<Response>` (Hono, Next.js route handlers, Bun, Deno, Lambda function URLs;
 * Node's http and Express through createJwksNodeHandler, which serves the same prepared replies without a web
 * Request or Response per request).
 *
 * The naive endpoint, `res.json(await keys.jwks())`, lists the store on every request. Here the set is built
 * by core's one builder (`KeyManager.jwks`: bounded parallel reads, keys core's algorithm table refuses left
 * out, a broken entry left out and reported as a `skipped` event while the rest is served), serialised once
 * and served with an ETag, so a verifier that already has it gets a 304. How fresh it is:
 *
 * - Its own KeyManager's writes (rotate, generate, store, delete: the `changed` event, KeyManager's one event
 *   mechanism) make the next request rebuild at once.
 * - Writes by other processes (`phlow-keys rotate --now` elsewhere) are found by revalidating against the
 *   store every `revalidateSeconds`: the first request after that rebuilds from a listing and the ids' keys
 *   read at most `revalidateSeconds` ago (shared with this process's own reads). Concurrent requests share
 *   one build, so the cost is one listing plus one read per id per interval whatever the request rate, and
 *   nothing while no request comes. A key written elsewhere is served within 2 x `revalidateSeconds`.
 * - `maxAgeSeconds` is what HTTP caches are told (`Cache-Control: max-age`, counted down from the build).
 *   jose's createRemoteJWKSet ignores it (it refetches on an unknown kid after its 30 s cooldown, else after
 *   10 min); a cache that honours it learns a new key within it, so keep it at or below the rotation delay.
 * - Failures follow KeyManager's rules: during an outage (UNAVAILABLE) the last set is served with max-age 0
 *   for at most the stale-if-error window (`PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS`) past its revalidation,
 *   then 503; a revoked credential or a tampered store (ACCESS_DENIED, INTEGRITY, any non-outage failure of
 *   the whole set) is a 503 at once, and the last set is dropped: it is never served again.
 */
import { isKeyStoreError } from '@phlow/keys-core';
import { JwtError } from './errors.js';
import { etagOf, matchesIfNoneMatch } from './http-cache.js';
import type { JwksKeys } from './keys.js';

export interface JwksHandlerOptions {
  /** The ids to publish. Default: every id the store lists (the store must be able to list). */
  readonly keyIds?: readonly string[];
  /**
   * How long HTTP caches may keep the set (`Cache-Control: public, max-age`, counted down from the build).
   * Default: 300, or the KeyManager's rotation delay (`rotationDelayMs`) if that is shorter.
   */
  readonly maxAgeSeconds?: number;
  /**
   * How often the set is revalidated against the store (a listing, and each id read at most this long ago),
   * so writes by other processes are served within twice this. Default: 5, or `maxAgeSeconds` if shorter.
   */
  readonly revalidateSeconds?: number;
  /** Ids read from the store at once while building. Default: 8. */
  readonly concurrency?: number;
  /** Told about a failed build (the response is then the previous set within the stale rules, or a 503). Must not throw. */
  readonly onError?: (error: unknown) => void;
  /** Clock, for tests. Default: `Date.now`. */
  readonly now?: () => number;
}

export type JwksHandler = (request: Request) => Promise<Response>;

/**
 * One prepared reply of the JWKS endpoint, the same for every runtime: the web handler wraps it in a
 * `Response`, the Node handler writes it as it is. `body` is the serialised set, encoded once per build.
 */
export interface JwksReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
}

/** The reply to a request with `method` and If-None-Match `ifNoneMatch`: at once when the set is fresh. */
export type JwksResponder = (
  method: string,
  ifNoneMatch: string | null | undefined,
) => JwksReply | Promise<JwksReply>;

const CONTENT_TYPE = 'application/jwk-set+json';
const DEFAULT_MAX_AGE_SECONDS = 300;
const DEFAULT_REVALIDATE_SECONDS = 5;

interface Built {
  readonly body: Buffer;
  readonly etag: string;
  /** When the build started: its keys are at least this fresh. */
  readonly at: number;
  /** The write generation it was built at: a later write of this KeyManager outdates it. */
  readonly generation: number;
}

function positiveInteger(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new JwtError('INVALID_ARGUMENT', `${name} must be a whole number ≥ ${min}`);
  }
  return value;
}

function defaultMaxAge(keys: JwksKeys): number {
  return Math.min(DEFAULT_MAX_AGE_SECONDS, Math.floor(keys.rotationDelayMs / 1000));
}

/** An outage (served stale within the window), as KeyManager's cache tells one: not a KeyStoreError, or UNAVAILABLE. */
const isOutage = (error: unknown): boolean => !isKeyStoreError(error) || error.code === 'UNAVAILABLE';

const NOT_ALLOWED: JwksReply = { status: 405, headers: { Allow: 'GET, HEAD' }, body: undefined };
const UNAVAILABLE: JwksReply = {
  status: 503,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Retry-After': '5' },
  body: Buffer.from(JSON.stringify({ error: 'the key store cannot give the JWK Set now' })),
};

export function createJwksHandler(keys: JwksKeys, options: JwksHandlerOptions = {}): JwksHandler {
  const respond = createJwksResponder(keys, options);
  return async (request: Request): Promise<Response> => {
    const reply = await respond(request.method, request.headers.get('if-none-match'));
    return new Response(reply.body ? new Uint8Array(reply.body) : null, {
      status: reply.status,
      headers: reply.headers,
    });
  };
}

/**
 * The JWKS endpoint as a function of a request's method and If-None-Match, shared by the web and the Node
 * handler. While the set is fresh it answers synchronously from the prepared bytes and headers (the headers
 * object is made again only when max-age counts down a second), so a Node server pays no promise, no web
 * `Request` and no body stream per request.
 */
export function createJwksResponder(keys: JwksKeys, options: JwksHandlerOptions = {}): JwksResponder {
  const store = keys.store;
  if (!options.keyIds && (!store.capabilities.list || typeof store.listKeyIds !== 'function')) {
    throw new JwtError(
      'INVALID_ARGUMENT',
      `the ${store.type} store cannot list its keys: pass the ids to publish, createJwksHandler(keys, { keyIds: [...] })`,
    );
  }
  const maxAge = positiveInteger(options.maxAgeSeconds, 'maxAgeSeconds', defaultMaxAge(keys), 0);
  const revalidate = Math.min(
    maxAge,
    positiveInteger(options.revalidateSeconds, 'revalidateSeconds', DEFAULT_REVALIDATE_SECONDS, 0),
  );
  const revalidateMs = revalidate * 1000;
  const concurrency = positiveInteger(options.concurrency, 'concurrency', 8, 1);
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => {});
  const fixedIds = options.keyIds ? [...options.keyIds] : undefined;

  let current: Built | undefined;
  let building: { readonly promise: Promise<Built>; readonly generation: number } | undefined;
  // Bumped by every write of this KeyManager: a set built before it is out of date at once.
  let generation = 0;
  keys.subscribe((event) => {
    if (event.type === 'changed' || event.type === 'rotated') generation++;
  });
  // After a failed build the store is left alone for a few seconds: an outage must not turn every request
  // into a store read.
  const retryMs = Math.min(5000, Math.max(revalidateMs, 1000));
  let failedUntil = 0;
  let lastError: unknown;

  const build = async (at: number, gen: number): Promise<Built> => {
    const set = await keys.jwks(fixedIds, { maxAgeMs: revalidateMs, concurrency });
    const body = Buffer.from(JSON.stringify(set));
    return { body, etag: etagOf(body), at, generation: gen };
  };

  const fresh = (built: Built | undefined): built is Built =>
    built !== undefined && built.generation === generation && now() - built.at < revalidateMs;

  /** The last set during an outage, within the stale-if-error window past its revalidation; else the error. */
  const fallback = (error: unknown): { set: Built; stale: true } => {
    if (!isOutage(error)) current = undefined;
    if (current && now() - current.at <= revalidateMs + keys.staleIfErrorMs) {
      return { set: current, stale: true };
    }
    throw error;
  };

  const getSet = async (): Promise<{ set: Built; stale: boolean }> => {
    if (fresh(current)) return { set: current, stale: false };
    if (now() < failedUntil) return fallback(lastError);
    if (!building || building.generation !== generation) {
      const gen = generation;
      const promise = build(now(), gen);
      const flight = { promise, generation: gen };
      building = flight;
      promise.then(
        (built) => {
          if (building === flight) building = undefined;
          if (!current || built.at >= current.at) current = built;
        },
        (error: unknown) => {
          if (building === flight) building = undefined;
          lastError = error;
          failedUntil = now() + retryMs;
          try {
            onError(error);
          } catch {
            // A throwing hook must not become an unhandled rejection.
          }
        },
      );
    }
    try {
      return { set: await building.promise, stale: false };
    } catch (error) {
      return fallback(error);
    }
  };

  // The reply headers of the last (set, max-age, stale) answered: remade once per second of max-age at most.
  let replyFor: { set: Built; remaining: number; ok: JwksReply; notModified: JwksReply } | undefined;
  const reply = (
    method: string,
    ifNoneMatch: string | null | undefined,
    served: { set: Built; stale: boolean },
  ) => {
    const { set, stale } = served;
    const remaining = stale ? 0 : Math.max(0, maxAge - Math.floor((now() - set.at) / 1000));
    if (replyFor?.set !== set || replyFor.remaining !== remaining) {
      const headers = {
        'Content-Type': CONTENT_TYPE,
        'Cache-Control': `public, max-age=${remaining}`,
        ETag: set.etag,
      };
      replyFor = {
        set,
        remaining,
        // Content-Length lets Node send head and body in one write instead of a chunked body.
        ok: {
          status: 200,
          headers: { ...headers, 'Content-Length': String(set.body.length) },
          body: set.body,
        },
        notModified: { status: 304, headers, body: undefined },
      };
    }
    if (matchesIfNoneMatch(ifNoneMatch, set.etag)) return replyFor.notModified;
    return method === 'HEAD' ? { ...replyFor.ok, body: undefined } : replyFor.ok;
  };

  return (method, ifNoneMatch) => {
    if (method !== 'GET' && method !== 'HEAD') return NOT_ALLOWED;
    if (fresh(current)) return reply(method, ifNoneMatch, { set: current, stale: false });
    return getSet().then(
      (served) => reply(method, ifNoneMatch, served),
      () => UNAVAILABLE,
    );
  };
}
