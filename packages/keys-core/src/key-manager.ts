/**
 * KeyManager: the API an agent uses. Generates key pairs, reads them through a cache, stores pairs it has
 * checked, rotates with a grace period, publishes a JWK Set and signs/verifies (EdDSA; RS256 for RSA keys).
 *
 * This file is the public API only; the machinery lives by concern:
 * - key-cache.ts: one cache entry per id (its version list), from which the signing, newest and verifying
 *   keys are all derived (rotation-timeline.ts), and the one refetch on an unknown key;
 * - rotation.ts: rotation on exportable and signer stores, where the activation time is fixed once;
 * - signer.ts: the one seam every signature goes through (`signWith` / `verifyWith`);
 * - key-writes.ts, signing.ts: writes, and signing/verifying with their audit events;
 * - audit-events.ts: the one audit-event builder; manager-options.ts: options, results and settings.
 *
 * A new version verifies at once but signs only from its activation time; `getKeyPair` returns the pair
 * `sign` uses now. On a store that signs inside its backend (capability `signer`) the same logic runs on
 * public-only pairs, and the methods that hand out a private key are UNSUPPORTED there.
 */

import type { KeyAuditOperation } from './audit.js';
import { type AuditFields, Auditor, bytes } from './audit-events.js';
import type { AuditSinkStats } from './audit-sink.js';
import { isSignerStore, type KeyStore, type SignerKeyStore } from './contract.js';
import { isKeyStoreError, KeyStoreError } from './errors.js';
import type { JwkSet } from './jwk.js';
import { buildJwkSet } from './jwk-set.js';
import { KeyCache, type KeyView } from './key-cache.js';
import { assertValidKeyId } from './key-id.js';
import type { KeyPair } from './key-pair.js';
import { createInside, deletePair, generate, storePair } from './key-writes.js';
import { assertSignerContract, noPrivateKey, unknownKid } from './manager-errors.js';
import {
  type GenerateOptions,
  type GetKeyPairOptions,
  type JwksOptions,
  type KeyAccessOptions,
  type KeyManagerEvent,
  type KeyManagerOptions,
  type KeyManagerStats,
  managerSettings,
  type RotateOptions,
  type RotationResult,
  type RotationState,
  type ScheduledRotationResult,
  type SignDetailedOptions,
  type SignResult,
} from './manager-options.js';
import type { PublicKeyPair } from './public-key-pair.js';
import { type RotationContext, rotateIfOlderThan, rotateKeyPair, rotationFields } from './rotation.js';
import { signWith } from './signer.js';
import {
  detailed,
  publishedKey,
  type Signed,
  type SigningParts,
  signingKey,
  signWithPick,
  stillVerifying,
  verifyAudited,
} from './signing.js';
import type { UnverifiedReadStats } from './unverified-reads.js';

export class KeyManager {
  readonly store: KeyStore;
  readonly rotationGracePeriodMs: number;
  readonly rotationDelayMs: number;
  readonly refetchCooldownMs: number;
  /** How long past its TTL a cached key may be served while the store fails (a JWKS handler follows it too). */
  readonly staleIfErrorMs: number;
  /** Listeners added by `subscribe`. */
  readonly #listeners = new Set<(event: KeyManagerEvent) => void>();
  /** The store, when it signs inside its backend. */
  readonly #signer: SignerKeyStore | undefined;
  readonly #cache: KeyCache;
  readonly #audit: Auditor;
  readonly #rotation: RotationContext;
  readonly #parts: SigningParts;
  readonly #now: () => number;

  constructor(options: KeyManagerOptions) {
    if (!options || typeof options.store?.getPrivateKey !== 'function') {
      throw new KeyStoreError('INVALID_CONFIG', 'KeyManager needs a store: new KeyManager({ store })');
    }
    const store = options.store;
    assertSignerContract(store);
    const s = managerSettings(options);
    this.store = store;
    this.#signer = isSignerStore(store) ? store : undefined;
    this.#now = options.now ?? Date.now;
    this.rotationGracePeriodMs = s.graceMs;
    this.rotationDelayMs = s.delayMs;
    this.refetchCooldownMs = s.refetchCooldownMs;
    this.staleIfErrorMs = s.staleIfErrorMs;
    this.#audit = new Auditor({
      storeType: store.type,
      env: s.env,
      onEvent: options.onEvent,
      caller: options.caller,
      hashMessages: options.auditMessageHash === true,
      failClosed: options.auditFailClosed,
      now: this.#now,
      maxEntries: s.maxEntries,
    });
    const emit = (event: KeyManagerEvent) => {
      this.#audit.emit(event);
      for (const listener of this.#listeners) {
        try {
          listener(event);
        } catch {
          // A listener must not break key reads, as the onEvent hook must not.
        }
      }
    };
    this.#cache = new KeyCache({ store, signer: this.#signer, settings: s, now: this.#now, emit });
    this.#rotation = {
      store,
      signer: this.#signer,
      cache: this.#cache,
      delayMs: s.delayMs,
      graceMs: s.graceMs,
      now: this.#now,
      emit,
    };
    this.#parts = { store, cache: this.#cache, audit: this.#audit };
  }

  /** Cache counters over keys and the id list: hits, misses, loads (store reads), errors, stale, evictions, refreshes, size. */
  get stats(): KeyManagerStats {
    return this.#cache.stats;
  }

  /**
   * What the unverified-read gate did (reads of ids a token names, see `cache.unverifiedReads`): reads admitted,
   * ids answered NOT_FOUND, reads refused for the budget, listings. A flood of forged issuers shows here.
   */
  get unverifiedReads(): UnverifiedReadStats {
    return { ...this.#cache.unverified.stats };
  }

  /** Whether audit events are recorded (an `onEvent` hook or `PHLOW_KEY_AUDIT_LOG` is set). */
  get auditing(): boolean {
    return this.#audit.auditing;
  }

  /** Counters of the `PHLOW_KEY_AUDIT_LOG` sink (lines written, lost, summarized), when one is set. */
  get auditStats(): AuditSinkStats | undefined {
    return this.#audit.stats;
  }

  /**
   * The key pair `sign(keyId)` uses now: the key an agent signs with. During a staged rotation that is the
   * previous key until the new one's activation time (see `getNewestKeyPair`). NOT_FOUND if the store has
   * none. `forceFetch` / `maxAgeMs` ask for a fresher read than the TTL; a failed forced read throws instead
   * of serving a stale key. UNSUPPORTED on a signer store, whose private keys never leave it.
   */
  getKeyPair(keyId: string, options?: GetKeyPairOptions): Promise<KeyPair> {
    if (options === undefined && !this.#signer) {
      const hit = this.#audit.auditing ? undefined : this.#cache.peekForSigning(keyId);
      if (hit) return hit.signingPromise as Promise<KeyPair>;
    }
    return this.#privatePair(keyId, options, 'getKeyPair', (view) => view.signing);
  }

  /**
   * The newest version of `keyId`, also while it waits for its activation time (it verifies, it is in the
   * JWK Set, but `sign` does not use it yet): what the store returns as current. Recorded as a private read.
   */
  getNewestKeyPair(keyId: string, options?: GetKeyPairOptions): Promise<KeyPair> {
    return this.#privatePair(keyId, options, 'getNewestKeyPair', (view) => view.newest);
  }

  /**
   * The public half of the key `sign` uses now, on every store (a signer store included), with the same cache
   * and options as `getKeyPair`. Not an audited access: it hands out nothing private.
   */
  async getPublicKeyPair(keyId: string, options?: GetKeyPairOptions): Promise<PublicKeyPair> {
    return (await this.#cache.viewFor(keyId, options)).signing;
  }

  /**
   * Reads `keyId` from the store now, replacing what the cache held, and returns what `getKeyPair` returns: the
   * pair `sign` uses now (during a rotation delay, the previous key). The newest version, even while it waits
   * for its activation time: `getNewestKeyPair(keyId, { forceFetch: true })`.
   */
  refresh(keyId: string, options?: KeyAccessOptions): Promise<KeyPair> {
    return this.#privatePair(keyId, { ...options, forceFetch: true }, 'refresh', (view) => view.signing);
  }

  /**
   * The verification key of `keyId` (current, or previous in its grace period) whose RFC 7638 thumbprint is
   * `kid`: the key a token's `kid` header names. An unknown kid rereads the id's versions once per refetch
   * cooldown (a key another process just wrote), so a flood of made-up kids costs one read per cooldown.
   * NOT_FOUND if none has it (retired, or never this id's).
   */
  async getKeyByKid(keyId: string, kid: string): Promise<PublicKeyPair> {
    const match = await this.#cache.findVerifying(keyId, (pair) => pair.kid === kid);
    if (match) return match;
    throw unknownKid(this.store, keyId);
  }

  /**
   * The public keys that verify signatures of `keyId` now: the newest key first (also while it waits for its
   * activation time), then previous versions still in their grace period. `forceFetch` reads them from the
   * store now (a JWKS endpoint bounding its staleness). `unverified` says the id comes from unverified input
   * (a token's `iss`): when it is not cached, the read goes through the unverified-read gate (negative cache,
   * id list, budget: see `cache.unverifiedReads`), whose NOT_FOUND does not name the id. A public read, on every store.
   */
  async getVerificationKeys(
    keyId: string,
    options?: { readonly forceFetch?: boolean; readonly unverified?: boolean },
  ): Promise<PublicKeyPair[]> {
    if (options?.unverified === true && options.forceFetch !== true) {
      return (await this.#cache.viewUnverified(keyId)).verifying;
    }
    return (await this.#cache.viewFor(keyId, options?.forceFetch === true ? options : undefined)).verifying;
  }

  /**
   * Where `keyId` stands in its rotation timeline: the newest key, the key that signs now, the keys that
   * verify, when the newest key starts signing (if it does not yet) and its age.
   * @deprecated to pick the key to sign with: `signDetailed` signs and names the key in one call. Still
   * supported for showing the timeline.
   */
  async rotationState(keyId: string): Promise<RotationState> {
    const view = await this.#cache.viewFor(keyId);
    return {
      current: view.newest,
      signing: view.signing,
      verifying: view.verifying,
      activatesAt: view.pendingActivatesAt,
      ageMs: view.newest.createdAt ? this.#now() - view.newest.createdAt.getTime() : undefined,
    };
  }

  /**
   * A JWK Set of the given ids (every id the store lists when omitted), including keys in their grace
   * period, each with its RFC 7638 thumbprint as `kid`. This is the document verifiers fetch. It degrades per
   * key (see jwk-set.ts): an id whose entry is broken is left out and reported as a `skipped` event (id and
   * code); an outage fails the whole set. `maxAgeMs` asks for the listing and each id read at most that
   * long ago (what a JWKS endpoint revalidating on an interval asks; failures then throw, never stale).
   */
  async jwks(keyIds?: readonly string[], options: JwksOptions = {}): Promise<JwkSet> {
    const { maxAgeMs, concurrency } = options;
    const ids = keyIds ?? (await this.#cache.listIds(maxAgeMs));
    const read = maxAgeMs === undefined ? undefined : { maxAgeMs };
    return buildJwkSet(
      ids,
      (id) =>
        this.#cache.viewFor(id, read).then(
          (view) => view.verifying,
          (error: unknown) => {
            // A listed id deleted since the listing is simply not published; a named id that is missing is reported.
            if (keyIds === undefined && isKeyStoreError(error, 'NOT_FOUND')) return [];
            throw error;
          },
        ),
      {
        ...(concurrency === undefined ? {} : { concurrency }),
        onSkip: (keyId, code) => this.#rotation.emit({ type: 'skipped', keyId, code }),
      },
    );
  }

  /**
   * Adds a listener for this KeyManager's events after construction, beside the `onEvent` option: `stale`,
   * `error`, `rotated`, `changed` (this manager wrote an id) and `skipped` (an id left out of a JWK Set); not
   * audit events. A JWKS handler rebuilds on `changed` with it. Returns the function that removes it. A
   * listener must not throw (what it throws is ignored).
   */
  subscribe(listener: (event: KeyManagerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Empties the cache (keys and the id list), e.g. between tests. The store stays open. */
  clear(): void {
    this.#cache.clear();
  }

  /**
   * A new key under `keyId`, on every store: generated inside the backend on a signer store, generated here
   * and stored otherwise (as `generateKeyPair`). Refuses (CONFLICT) if `keyId` exists, unless `overwrite` is
   * set (not on a signer store: rotate there). Returns its public half, read back.
   */
  createKey(keyId: string, options: GenerateOptions = {}): Promise<PublicKeyPair> {
    const signer = this.#signer;
    if (!signer) return this.generateKeyPair(keyId, options);
    return this.#audit.audited(
      'generate',
      keyId,
      options,
      () => createInside(this.#rotation, signer, keyId, options),
      (pair) => ({ kid: pair.kid, version: pair.version }),
    );
  }

  /**
   * Generates a new pair and stores it: Ed25519 by default, `algorithm: 'ES256'` for P-256, `'RS256'` for
   * RSA-2048 as the Python Phlow makes. Refuses (CONFLICT) if `keyId` exists, unless `overwrite` is set (the
   * new key then signs at once); to replace a key in use, prefer `rotateKeyPair`, which stages it. On a store
   * with versions the pair is read back once (which also fills the cache), with its `version` and `createdAt`.
   */
  generateKeyPair(keyId: string, options: GenerateOptions = {}): Promise<KeyPair> {
    return this.#audit.audited(
      'generate',
      keyId,
      options,
      () => generate(this.#rotation, keyId, options),
      (pair) => ({ kid: pair.kid, version: pair.version }),
    );
  }

  /**
   * Stores a pair after checking that both PEMs parse and that the public key belongs to the private key.
   * Any key type node:crypto reads is accepted, so RSA pairs from older deployments can be migrated. On a
   * store with the `activation` capability a stored pair signs at once (it is an explicit replacement), unless
   * `activatesAt` names when it starts signing (a migration carrying a staged rotation's time to another store).
   */
  storeKeyPair(
    keyId: string,
    privateKey: string,
    publicKey: string,
    options?: KeyAccessOptions & { readonly activatesAt?: Date },
  ): Promise<void> {
    let kid: string | undefined;
    return this.#audit.audited(
      'store',
      keyId,
      options,
      async () => {
        kid = await storePair(
          this.#rotation,
          keyId,
          privateKey,
          publicKey,
          this.#audit.auditing,
          options?.activatesAt,
        );
      },
      () => ({ kid }),
    );
  }

  /** Deletes `keyId` (no error if missing). `destroy` removes it beyond recovery where the store can tell. */
  deleteKeyPair(keyId: string, options: { destroy?: boolean } & KeyAccessOptions = {}): Promise<void> {
    const destroy = options.destroy === true;
    return this.#audit.audited(destroy ? 'destroy' : 'delete', keyId, options, () =>
      deletePair(this.#rotation, keyId, destroy),
    );
  }

  /**
   * Replaces the current key with a new one of the same algorithm (or `algorithm`). The new key verifies
   * and is in the JWK Set at once, and starts signing at rotation time + `rotationDelayMs` (`activatesAt`),
   * in every KeyManager by itself; the previous key keeps verifying for the grace period. Needs a store with
   * the `versions` capability unless the grace period is 0. Of concurrent rotations of one id, exactly one
   * wins; the others get CONFLICT and change nothing. See `RotateOptions` for emergency rotation.
   */
  rotateKeyPair(keyId: string, options: RotateOptions & KeyAccessOptions = {}): Promise<RotationResult> {
    return this.#audit.audited(
      options.revokePrevious === true ? 'revoke' : 'rotate',
      keyId,
      options,
      () => rotateKeyPair(this.#rotation, keyId, options),
      (result) => rotationFields(result, options),
    );
  }

  /**
   * Scheduled rotation: rotates `keyId` only if its current key was written at least `maxAgeMs` ago.
   * Safe to run from any number of replicas and cron jobs at once: the write is a compare-and-set on the
   * version that was read, so exactly one of them rotates and the others report `rotated: false`.
   */
  rotateIfOlderThan(
    keyId: string,
    maxAgeMs: number,
    options: RotateOptions & KeyAccessOptions = {},
  ): Promise<ScheduledRotationResult> {
    // Recorded only when it rotated (or failed): a check that finds the key young touches no key.
    return this.#audit.audited(
      'rotate',
      keyId,
      options,
      () => rotateIfOlderThan(this.#rotation, keyId, maxAgeMs, options),
      (result) => (result.rotated ? rotationFields(result, options) : null),
    );
  }

  /**
   * Signs `data` with the signing key of `keyId`: EdDSA for an Ed25519 key, RS256 (RSASSA-PKCS1-v1_5,
   * SHA-256) for an RSA key of the Python Phlow. To name the key in what is signed, use `signDetailed`.
   */
  async sign(keyId: string, data: Uint8Array | string, options?: KeyAccessOptions): Promise<Uint8Array> {
    if (!this.#audit.auditing) {
      const pair = this.#cache.peekForSigning(keyId)?.signing ?? (await this.#cache.view(keyId)).signing;
      return signWith(pair, bytes(data), this.store);
    }
    const signed = this.#sign(keyId, data, options);
    // A ready signature is not awaited: `await` on it would cost a turn of the microtask queue.
    return signed instanceof Promise ? (await signed).signature : signed.signature;
  }

  /**
   * Signs `data` like `sign` and names the key that made the signature: its kid, JWS alg and version, for
   * a JWT header or a signature envelope (the kid and the signature come from one key, even when the
   * signing key switches meanwhile). Recorded as one `sign` audit event. `{ kid }` signs with that key
   * instead, when it is the key that signs now or a published one waiting for its activation (NOT_FOUND
   * otherwise): the second signature of something verifiers keep across the switch, such as an A2A Agent Card.
   */
  async signDetailed(
    keyId: string,
    data: Uint8Array | string,
    options?: SignDetailedOptions,
  ): Promise<SignResult> {
    const kid = options?.kid;
    if (kid !== undefined) {
      const type = this.store.type;
      return detailed(
        await signWithPick(this.#parts, keyId, data, options, () =>
          publishedKey(this.#cache, keyId, kid, type),
        ),
      );
    }
    return detailed(await this.#sign(keyId, data, options));
  }

  /**
   * Signs `data` with `key`, a pair from `getSigningKey`, while that key still verifies (NOT_FOUND once it
   * was retired or revoked). Recorded as a `sign` event like `sign`.
   * @deprecated use `signDetailed(keyId, data)`, which picks the key and names it in one call (and
   * `{ kid }` for a published key waiting for its activation).
   */
  async signWithKey(
    key: PublicKeyPair,
    data: Uint8Array | string,
    options?: KeyAccessOptions,
  ): Promise<Uint8Array> {
    const type = this.store.type;
    return (
      await signWithPick(this.#parts, key.keyId, data, options, () => stillVerifying(this.#cache, key, type))
    ).signature;
  }

  /**
   * The key pair `sign` uses now (what `getKeyPair` returns, public-only on a signer store). Recorded as a
   * private read, except on a signer store.
   * @deprecated use `getKeyPair` (the signing pair) or `signDetailed` (signs and names the key).
   */
  getSigningKey(keyId: string, options?: KeyAccessOptions): Promise<PublicKeyPair> {
    if (this.#signer) return this.getPublicKeyPair(keyId);
    return this.getKeyPair(keyId, options);
  }

  /**
   * True if `signature` is a valid signature of `data` (EdDSA, or RS256 for an RSA key) by the current or an
   * in-grace key of `keyId`. When no cached key accepts it, the id's versions are read again once per
   * `refetchCooldownMs`, so a key another process just wrote verifies without waiting for the cache TTL.
   * `unverified` says `keyId` comes from unverified input (a signed request's agent or key name): when it is
   * not cached, it is first read through the unverified-read gate (as `getVerificationKeys` does), whose
   * NOT_FOUND does not name the id, so whoever sends requests does not decide how much work the store does.
   */
  async verify(
    keyId: string,
    data: Uint8Array | string,
    signature: Uint8Array,
    options?: KeyAccessOptions & { readonly unverified?: boolean },
  ): Promise<boolean> {
    if (options?.unverified === true) await this.#cache.viewUnverified(keyId);
    return verifyAudited(this.#parts, keyId, data, signature, options);
  }

  /**
   * Records the audit event of a key access made by code outside KeyManager with this manager's keys, such as
   * the token package's `verifyJwt` (jose verifies there): the same hook and sink, store type and caller as
   * KeyManager's own events. `startedAt` is the `performance.now()` the operation started at; `message` is
   * hashed into `messageSha256` only under `auditMessageHash`. Does nothing when auditing is off.
   */
  recordAudit(
    operation: KeyAuditOperation,
    keyId: string | undefined,
    startedAt: number,
    fields: AuditFields,
    options?: KeyAccessOptions & { readonly message?: Uint8Array | string },
  ): void {
    this.#audit.external(operation, keyId, startedAt, fields, options);
  }

  /** Releases the store's resources. */
  async close(): Promise<void> {
    this.#audit.flush();
    this.#cache.close();
    await this.store.close?.();
  }

  /** A private pair picked from the view, recorded as a private read. UNSUPPORTED on a signer store. */
  #privatePair(
    keyId: string,
    options: GetKeyPairOptions | undefined,
    method: string,
    pick: (view: KeyView) => PublicKeyPair,
  ): Promise<KeyPair> {
    const read = async () => {
      if (this.#signer) {
        assertValidKeyId(keyId, this.store.type);
        throw noPrivateKey(this.store, keyId, method);
      }
      // Not a signer store: every pair in the cache is a KeyPair (see key-cache.ts). The signing pair, plainly
      // asked for, starts the signing recheck as `sign` does.
      const hit =
        options === undefined && method === 'getKeyPair' ? this.#cache.peekForSigning(keyId) : undefined;
      return pick(hit ?? (await this.#cache.viewFor(keyId, options))) as KeyPair;
    };
    if (!this.#audit.auditing) return read();
    const source = options?.forceFetch === true || !this.#cache.isFresh(keyId) ? 'store' : 'cache';
    return this.#audit.audited('read', keyId, options, read, (pair) => ({
      kid: pair.kid,
      version: pair.version,
      source,
      private: true,
    }));
  }

  #sign(
    keyId: string,
    data: Uint8Array | string,
    options: KeyAccessOptions | undefined,
  ): Signed | Promise<Signed> {
    return signWithPick(this.#parts, keyId, data, options, () => signingKey(this.#cache, keyId));
  }
}
