/**
 * The public shape of a remote key set (createRemoteKeySet in remote-key-set.ts): its options with their
 * defaults, its events, its interface, and the one check of the options (a NaN, negative or fractional bound is
 * INVALID_ARGUMENT at creation, never a bound turned off).
 */
import type { KeyAuditEvent } from '@phlow/keys-core';
import { displayUrl, type ResolveHost } from './bounded-fetch.js';
import { RemoteKeySetError, type RemoteKeySetErrorCode } from './remote-errors.js';
import type { RemoteKey, RemoteKeySkipReason } from './remote-jwk.js';

/** The default media types: RFC 7517's, then plain JSON (most JWKS endpoints). */
export const DEFAULT_JWK_SET_MEDIA_TYPES: readonly string[] = [
  'application/jwk-set+json',
  'application/json',
];
/** The longest negative caching of an unknown kid (the Web Bot Auth directory rule). */
export const MAX_NEGATIVE_TTL_MS = 5 * 60_000;
/** The longest wait a Retry-After can impose before the next attempt. */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;
/** Most unknown kids remembered at once (negative cache). */
export const MAX_NEGATIVE_ENTRIES = 1000;
/** Longest kid looked up: longer ones are unknown without a fetch. */
export const MAX_KID_LENGTH = 256;

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
  /**
   * One verification by verifyJwt with this set (as KeyManager's `verify` audit event; storeType `remote-jwks`),
   * also written to the `PHLOW_KEY_AUDIT_LOG` sink when that is set.
   */
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
  /**
   * Refetch in the background before the set expires (with jitter), on an unref'd timer; never sooner than
   * 1 s after the last fetch. Default: false.
   */
  readonly backgroundRefresh?: boolean;
  /**
   * Checks a 200 response before its keys are used (a directory's response signature, say); throwing refuses
   * it (BAD_RESPONSE, the error as `cause`); one that has not settled after `timeoutMs` is TIMEOUT. Not
   * called for a 304, which keeps the set it validated.
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

export function invalid(message: string): never {
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

/** The options checked and with their defaults. */
export function remoteKeySetSettings(url: string | URL, options: RemoteKeySetOptions) {
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

  for (const name of ['validate', 'onEvent', 'resolve', 'now'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function')
      invalid(`${name} must be a function`);
  }
  const now = options.now ?? Date.now;
  const policy = {
    allowPrivateAddresses: options.allowPrivateAddresses === true,
    allowInsecureLoopback: options.allowInsecureLoopback === true,
  };

  if (
    options.ca !== undefined &&
    !(
      typeof options.ca === 'string' ||
      (Array.isArray(options.ca) && options.ca.every((c) => typeof c === 'string'))
    )
  ) {
    invalid('ca must be a PEM string or a list of them');
  }
  return {
    parsed,
    where,
    timeoutMs,
    maxBytes,
    maxKeys,
    cooldownMs,
    minMaxAgeMs,
    maxMaxAgeMs,
    staleIfErrorMs,
    negativeTtlMs,
    accept: accept.map((t) => t.toLowerCase()),
    now,
    policy,
  };
}
