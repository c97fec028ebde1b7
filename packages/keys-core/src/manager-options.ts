/**
 * KeyManager's options and results, and the settings read from them (or from the environment) once, at
 * construction. Every option documents its default and its environment variable; bad values are
 * INVALID_CONFIG naming the variable.
 */

import { durationSetting, intSetting } from './adapter/settings.js';
import type { KeyAlgorithm } from './algorithms.js';
import type { KeyAuditEvent, KeyAuditLossEvent } from './audit.js';
import type { CacheStats } from './cache.js';
import { assertRotationSettings, defaultEnv } from './config.js';
import type { Env, KeyStore } from './contract.js';
import { KeyStoreError } from './errors.js';
import type { PublicKeyPair } from './public-key-pair.js';
import {
  type UnverifiedReadOptions,
  type UnverifiedReadSettings,
  unverifiedReadSettings,
} from './unverified-reads.js';

export interface KeyManagerCacheOptions {
  /** How long a key read from the store is served from memory. Default: 300 s. Env: `PHLOW_KEY_CACHE_TTL_SECONDS`. 0 disables caching (single-flight still applies). */
  readonly ttlMs?: number;
  /** Most key ids held at once; the least recently used is dropped. Default: 1000. Env: `PHLOW_KEY_CACHE_MAX_ENTRIES`. */
  readonly maxEntries?: number;
  /** How long past its TTL a cached key may still be served while the store fails. Default: 300 s. Env: `PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS`. 0 turns it off. */
  readonly staleIfErrorMs?: number;
  /**
   * When `verify` finds no cached key that accepts a signature (or `getKeyByKid` no key with the kid), the
   * id's versions are read again once if the cached ones are at least this old, so a key another process just
   * wrote verifies without waiting for the TTL, while a flood of bad signatures costs at most one store read
   * per id per cooldown. Default: 30 s (jose's remote JWK Set uses the same). Env: `PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS`.
   */
  readonly refetchCooldownMs?: number;
  /**
   * Share of the TTL, at its end, in which reading a cached key also reloads it in the background (one reload
   * at a time per id), so ids in steady use never wait for the store. Default: 0.2 (the last 20%). 0 turns it off.
   */
  readonly refreshAheadRatio?: number;
  /**
   * Reads of ids that unverified input names (a token's `iss` in keys-jwt's `verifyJwt`) and the cache does
   * not hold: an id the store lacks is remembered for `refetchCooldownMs`; on a store that lists, an unlisted
   * id costs no read (one relisting per cooldown); otherwise these reads share this budget and the excess is
   * refused (UNAVAILABLE). See unverified-reads.ts for the defaults and their environment variables.
   */
  readonly unverifiedReads?: UnverifiedReadOptions;
  /**
   * How old the cached entry of an id this process signs with may get before a sign (or `getKeyPair`)
   * starts one background reread of that id (single flight; the sign itself answers from the cache), so an
   * emergency rotation, a revocation or a revoked credential reaches every signing replica within about this
   * long, whatever the TTL. Costs one read of each id in use per interval per process, only while it signs.
   * Default: 10 s. Env: `PHLOW_KEY_CACHE_SIGNING_RECHECK_SECONDS`. 0 turns it off (the TTL alone bounds it).
   */
  readonly signingRecheckMs?: number;
}

export type KeyManagerEvent =
  /** A cached key was served past its TTL because the store failed; `error` is the store's error. */
  | { readonly type: 'stale'; readonly keyId: string; readonly staleForMs: number; readonly error: unknown }
  /** A store read failed and nothing stale could be served. */
  | { readonly type: 'error'; readonly keyId: string; readonly error: unknown }
  | { readonly type: 'rotated'; readonly keyId: string; readonly kid: string; readonly previousKid: string }
  /**
   * This KeyManager wrote (or tried to write) `keyId` (generate, store, delete, rotate), or its signing recheck
   * found `keyId`'s versions changed in the store: a JWK Set built before may be out of date.
   */
  | { readonly type: 'changed'; readonly keyId: string }
  /** An id left out of a JWK Set because its entry is broken; `code` is the KeyStoreError code. The other ids are served. */
  | { readonly type: 'skipped'; readonly keyId: string; readonly code: string }
  /** One key access (see audit.ts): emitted only when an `onEvent` hook or `PHLOW_KEY_AUDIT_LOG` is set. */
  | KeyAuditEvent
  /** The `PHLOW_KEY_AUDIT_LOG` sink started losing lines (see audit-sink.ts). */
  | KeyAuditLossEvent;

/** Per-call options of the audited operations. */
export interface KeyAccessOptions {
  /** Who asks, recorded in this call's audit event instead of `KeyManagerOptions.caller`. Not secret: an identity, never a credential. */
  readonly caller?: string;
}

export interface KeyManagerOptions {
  readonly store: KeyStore;
  readonly cache?: KeyManagerCacheOptions;
  /** How long the previous key keeps verifying after a rotation. Default: 86400 s (24 h). Env: `PHLOW_KEY_ROTATION_GRACE_SECONDS`. */
  readonly rotationGracePeriodMs?: number;
  /**
   * How long after a rotation the new key starts signing; it verifies and is in the JWK Set at once.
   * Default: 900 s, so that a verifier has seen the new key before it signs when it caches a KeyManager's
   * JWK Set (300 s TTL) for up to 600 s (jose's `createRemoteJWKSet` default); 0 when the grace period is 0.
   * 0 switches at once. On a store with the `activation` capability the rotating process fixes the time
   * (rotation time + its delay) and every replica follows it, whatever its own delay.
   * Env: `PHLOW_KEY_ROTATION_DELAY_SECONDS`.
   */
  readonly rotationDelayMs?: number;
  /**
   * Called for stale reads, failed reads, rotations and, when set, an audit event (`type: 'audit'`) for every
   * key access: generate, store, read of private material, sign, verify, rotate, revoke, delete, destroy.
   * Must not throw. `PHLOW_KEY_AUDIT_LOG` adds a JSON-lines sink for the audit events beside it, and an
   * `audit-loss` event here when that sink starts losing lines.
   */
  readonly onEvent?: (event: KeyManagerEvent) => void;
  /** Identity recorded in audit events (a service or user name, never a credential). Default: none. Env: `PHLOW_KEY_AUDIT_CALLER`. */
  readonly caller?: string;
  /** Record the SHA-256 of signed and verified messages in audit events. Default: false (no trace of messages). */
  readonly auditMessageHash?: boolean;
  /**
   * Refuse key operations (AUDIT_UNAVAILABLE) when their line cannot be written to the `PHLOW_KEY_AUDIT_LOG`
   * sink, which then writes each line at once instead of in batches. Default: false (lost lines are counted,
   * operations go on). Env: `PHLOW_KEY_AUDIT_FAIL_CLOSED`.
   */
  readonly auditFailClosed?: boolean;
  /** Where unset options are read from. Default: `process.env`. */
  readonly env?: Env;
  /** Clock, for tests. Default: `Date.now`. */
  readonly now?: () => number;
}

/** How `KeyManager.jwks` reads. */
export interface JwksOptions {
  /** Use the cached listing and keys only if read less than this long ago (0: read now). Default: the cache TTL (and its stale window). */
  readonly maxAgeMs?: number;
  /** Most ids read at once. Default: 8. */
  readonly concurrency?: number;
}

/** Options of `signDetailed`. */
export interface SignDetailedOptions extends KeyAccessOptions {
  /**
   * Sign with this key of the id (its RFC 7638 thumbprint) instead of the key that signs now: the key that
   * signs now, or a published key waiting for its activation (a staged rotation's next key: in the JWK Set at
   * once, signing only from its activation). For a second signature that must keep verifying across the
   * switch, such as an A2A Agent Card's. Any other kid (unknown, in its grace period, revoked) is NOT_FOUND.
   * Default: the key that signs now.
   */
  readonly kid?: string;
}

/** Per-call cache control for `getKeyPair`. */
export interface GetKeyPairOptions extends KeyAccessOptions {
  /** Read the store now, whatever the cache holds (a read already in flight is joined). Default: false. */
  readonly forceFetch?: boolean;
  /** Use a cached key only if it was read from the store less than this long ago. Default: the cache TTL. */
  readonly maxAgeMs?: number;
}

export interface GenerateOptions extends KeyAccessOptions {
  /** Replace an existing key (prefer `rotateKeyPair`, which keeps the old one verifying). Default: false. */
  readonly overwrite?: boolean;
  /** `EdDSA` (Ed25519), `ES256` (P-256) or `RS256` (RSA-2048, as the Python Phlow makes). Default: `EdDSA`. */
  readonly algorithm?: KeyAlgorithm;
}

/** What `signDetailed` returns: the signature and the key that made it, named so a caller can put it in a header. */
export interface SignResult {
  readonly signature: Uint8Array;
  readonly keyId: string;
  /** The RFC 7638 thumbprint of the signing key (the JWK Set's `kid`). */
  readonly kid: string;
  /** The JWS algorithm of the signature: `EdDSA`, `ES256` or `RS256`. */
  readonly alg: string;
  /** The store's version of the signing key, where the store keeps versions. */
  readonly version?: string;
}

export interface RotationResult {
  /** The new key: a KeyPair on a store with exportable keys, public-only on a signer store. */
  readonly keyPair: PublicKeyPair;
  readonly kid: string;
  readonly previousKid: string;
  /** When the new key starts signing: rotation time + `rotationDelayMs`, or now for `now`. */
  readonly activatesAt: Date;
  /** When the previous key stops verifying; now for `revokePrevious`. */
  readonly previousRetiresAt: Date;
}

export interface RotateOptions {
  /**
   * Emergency: the new key signs at once on every replica (within one cache TTL), without waiting for
   * `rotationDelayMs`. Verifiers that have not refreshed yet reject its signatures until they do. The
   * previous key keeps verifying for the grace period. Default: false.
   */
  readonly now?: boolean;
  /**
   * Emergency for a leaked key (implies `now`): destroys every previous version, so the previous key
   * stops verifying in every KeyManager within one cache TTL (plus the stale window while the store is
   * down). Default: false.
   */
  readonly revokePrevious?: boolean;
  /**
   * The algorithm of the new key. Default: the algorithm of the key it replaces (an RS256 key stays RS256,
   * for the Python verifiers that accept nothing else).
   */
  readonly algorithm?: KeyAlgorithm;
}

/** What `rotateIfOlderThan` did. */
export type ScheduledRotationResult =
  | ({ readonly rotated: true } & RotationResult)
  | {
      readonly rotated: false;
      /** The current key, which is younger than the limit (or was just rotated by another process). */
      readonly kid: string;
      /** How long ago the current key was written. */
      readonly ageMs: number;
    };

/** Where a key id stands in its rotation timeline (see `rotationState`). */
export interface RotationState {
  /** The newest version: what the store returns as current and what Python readers see. */
  readonly current: PublicKeyPair;
  /** The key `sign` uses now. */
  readonly signing: PublicKeyPair;
  /** Keys that verify now, newest first. */
  readonly verifying: PublicKeyPair[];
  /** When `current` starts signing, if it does not yet. */
  readonly activatesAt: Date | undefined;
  /** How long ago `current` was written, if the store records it. */
  readonly ageMs: number | undefined;
}

export interface KeyManagerStats extends CacheStats {
  /** Entries in the cache now. */
  size: number;
}

/** The settings a KeyManager runs with, read once. */
export interface ManagerSettings {
  readonly env: Env;
  readonly graceMs: number;
  readonly delayMs: number;
  readonly refetchCooldownMs: number;
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly staleIfErrorMs: number;
  readonly refreshAheadRatio: number;
  readonly unverifiedReads: UnverifiedReadSettings;
  readonly signingRecheckMs: number;
}

/** The options, else the environment, else the defaults; INVALID_CONFIG for values that cannot work. */
export function managerSettings(options: KeyManagerOptions): ManagerSettings {
  const env = options.env ?? defaultEnv();
  const graceMs = duration(
    options.rotationGracePeriodMs,
    env,
    'PHLOW_KEY_ROTATION_GRACE_SECONDS',
    86_400_000,
  );
  const delayMs = duration(
    options.rotationDelayMs,
    env,
    'PHLOW_KEY_ROTATION_DELAY_SECONDS',
    graceMs === 0 ? 0 : 900_000,
  );
  const cache = options.cache;
  const settings: ManagerSettings = {
    env,
    graceMs,
    delayMs,
    refetchCooldownMs: duration(
      cache?.refetchCooldownMs,
      env,
      'PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS',
      30_000,
    ),
    ttlMs: duration(cache?.ttlMs, env, 'PHLOW_KEY_CACHE_TTL_SECONDS', 300_000),
    maxEntries: intSetting(cache?.maxEntries, env, 'PHLOW_KEY_CACHE_MAX_ENTRIES', 1000, {
      min: 1,
      option: 'cache.maxEntries',
    }),
    staleIfErrorMs: duration(cache?.staleIfErrorMs, env, 'PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS', 300_000),
    refreshAheadRatio: refreshAheadRatio(cache?.refreshAheadRatio),
    unverifiedReads: unverifiedReadSettings(cache?.unverifiedReads, env),
    signingRecheckMs: duration(
      cache?.signingRecheckMs,
      env,
      'PHLOW_KEY_CACHE_SIGNING_RECHECK_SECONDS',
      10_000,
    ),
  };
  assertRotationSettings(settings);
  return settings;
}

/** A duration setting of KeyManager: 0 or more milliseconds (0 turns the feature off). */
function duration(value: number | undefined, env: Env, name: string, fallbackMs: number): number {
  return durationSetting(value, env, name, fallbackMs, { min: 0 });
}

function refreshAheadRatio(value: number | undefined): number {
  if (value === undefined) return 0.2;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      'cache.refreshAheadRatio must be a number from 0 to 1 (default 0.2)',
    );
  }
  return value;
}
