/**
 * createJwksHandler: serves the JWK Set at /.well-known/jwks.json as a web-standard
 * `(request: Request) => Promise<Response>` (Hono, Next.js route handlers, Bun, Deno, Lambda function URLs;
 * Node's http and Express through createJwksNodeHandler).
 *
 * The naive endpoint, `res.json(await keys.jwks())`, lists the store on every request. Here the set is built
 * at most once per cache period (concurrent requests share one build), each id read with bounded
 * parallelism, serialised once, and served with an ETag so a verifier that already has it gets a 304. The set
 * is built by core's one JWK Set builder (`buildJwkSet`, as KeyManager.jwks builds it), so keys core's
 * algorithm table refuses are left out here too.
 * A rebuild reads the store, not KeyManager's cache, and `max-age` counts down from the build: a key written
 * to the store reaches every verifier within `maxAgeSeconds`. Keep that at or below the rotation delay so
 * verifiers learn a new key before it signs.
 */
import { createHash } from 'node:crypto';
import { buildJwkSet, isKeyStoreError, type PublicKeyPair } from '@phlow/keys-core';
import { JwtError } from './errors.js';
import type { JwtKeys } from './keys.js';

export interface JwksHandlerOptions {
  /** The ids to publish. Default: every id the store lists (the store must be able to list). */
  readonly keyIds?: readonly string[];
  /**
   * How long the set is reused here and cached by verifiers (`Cache-Control: public, max-age`).
   * Default: 300, or the KeyManager's rotation delay (`rotationDelayMs`) if that is shorter.
   */
  readonly maxAgeSeconds?: number;
  /** Ids read from the store at once while building. Default: 8. */
  readonly concurrency?: number;
  /** Told about a failed build (the response is then the previous set, or a 503). Must not throw. */
  readonly onError?: (error: unknown) => void;
  /** Clock, for tests. Default: `Date.now`. */
  readonly now?: () => number;
}

export type JwksHandler = (request: Request) => Promise<Response>;

const CONTENT_TYPE = 'application/jwk-set+json';
const DEFAULT_MAX_AGE_SECONDS = 300;

interface Built {
  readonly body: string;
  readonly etag: string;
  readonly at: number;
}

function positiveInteger(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new JwtError('INVALID_ARGUMENT', `${name} must be a whole number ≥ ${min}`);
  }
  return value;
}

function defaultMaxAge(keys: JwtKeys): number {
  return Math.min(DEFAULT_MAX_AGE_SECONDS, Math.floor(keys.rotationDelayMs / 1000));
}

/** True if an If-None-Match header value names `etag` (or is `*`). */
function matchesEtag(header: string | null, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

export function createJwksHandler(keys: JwtKeys, options: JwksHandlerOptions = {}): JwksHandler {
  const store = keys.store;
  if (!options.keyIds && (!store.capabilities.list || typeof store.listKeyIds !== 'function')) {
    throw new JwtError(
      'INVALID_ARGUMENT',
      `the ${store.type} store cannot list its keys: pass the ids to publish, createJwksHandler(keys, { keyIds: [...] })`,
    );
  }
  const maxAge = positiveInteger(options.maxAgeSeconds, 'maxAgeSeconds', defaultMaxAge(keys), 0);
  const concurrency = positiveInteger(options.concurrency, 'concurrency', 8, 1);
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => {});
  const fixedIds = options.keyIds ? [...options.keyIds] : undefined;

  let current: Built | undefined;
  let building: Promise<Built> | undefined;
  // After a failed build the store is left alone for a few seconds: an outage must not turn every request
  // into a store read.
  const retryMs = Math.min(5000, maxAge * 1000);
  let failedUntil = 0;
  let lastError: unknown;

  const readKeys = async (id: string): Promise<PublicKeyPair[]> => {
    try {
      // forceFetch: the store's keys now, not KeyManager's cache, so max-age bounds how stale a verifier can
      // be. A public read: no private key is touched (refresh would hand one out, and fails on a signer store).
      return await keys.getVerificationKeys(id, { forceFetch: true });
    } catch (error) {
      // An id deleted between the listing and the read is simply not published.
      if (isKeyStoreError(error, 'NOT_FOUND')) return [];
      throw error;
    }
  };

  const build = async (): Promise<Built> => {
    const ids = fixedIds ?? (await store.listKeyIds!());
    const body = JSON.stringify(await buildJwkSet(ids, readKeys, { concurrency }));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    return { body, etag, at: now() };
  };

  const fresh = (built: Built | undefined): built is Built =>
    built !== undefined && now() - built.at < maxAge * 1000;

  const getSet = async (): Promise<Built> => {
    if (fresh(current)) return current;
    if (now() < failedUntil) {
      if (current) return current;
      throw lastError;
    }
    if (!building) {
      building = build();
      building.then(
        () => {
          building = undefined;
        },
        (error: unknown) => {
          building = undefined;
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
      current = await building;
    } catch (error) {
      // The previous set is still what verifiers trust: serve it (max-age 0) rather than fail.
      if (current) return current;
      throw error;
    }
    return current;
  };

  return async (request: Request): Promise<Response> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { Allow: 'GET, HEAD' } });
    }
    let set: Built;
    try {
      set = await getSet();
    } catch {
      return new Response(JSON.stringify({ error: 'the key store is unavailable' }), {
        status: 503,
        headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Retry-After': '5' },
      });
    }
    const remaining = Math.max(0, Math.floor(maxAge - (now() - set.at) / 1000));
    const headers = {
      'Content-Type': CONTENT_TYPE,
      'Cache-Control': `public, max-age=${remaining}`,
      ETag: set.etag,
    };
    if (matchesEtag(request.headers.get('if-none-match'), set.etag)) {
      return new Response(null, { status: 304, headers });
    }
    return new Response(request.method === 'HEAD' ? null : set.body, { status: 200, headers });
  };
}
