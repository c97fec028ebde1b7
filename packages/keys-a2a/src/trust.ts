/**
 * The trusted keys of a verification, from the verifier's configuration only: a KeyManager's ids, pinned
 * JWK Set URLs (remote key sets, keys-jwt's createRemoteKeySet) and pinned public JWKs. A card names a key
 * (`kid`) and may name where to find it (`jku`); it never adds a key, and a `jku` is never fetched unless it
 * is the URL of a pinned set (then only that set is asked), since a signer-chosen `jku` would let a forger
 * pick its own trust root (A2A spec discussion #2096). Any other `jku` is refused (JKU_REFUSED) under the
 * default `jku: 'allow-list'`; under `jku: 'ignore'` it is a hint not followed: the kid is looked up in the
 * configured sources as if there were no `jku`.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { isKeyStoreError, jwkThumbprint, type KeyAlgorithm, keyAlgorithm } from '@phlow/keys-core';
import { publicKeyObject } from '@phlow/keys-jwt';
import type { CardVerifyingKeys } from './card.js';
import { AgentCardError, type AgentCardErrorCode } from './errors.js';

/** A key of a remote JWK Set, as keys-jwt's createRemoteKeySet returns it. */
export interface RemoteCardKey {
  readonly kid: string;
  readonly alg: string;
  readonly key: KeyObject;
  readonly notBefore?: number;
  readonly expires?: number;
}

/** A pinned JWK Set URL: keys-jwt's `createRemoteKeySet(url, options)` (any object of this shape). */
export interface RemoteCardKeySet {
  readonly url: string;
  /** The key with this thumbprint, or undefined (unknown, or outside its nbf/exp). */
  getKey(kid: string): Promise<RemoteCardKey | undefined>;
}

/** A public key the verifier pins, with an optional validity window. */
export interface PinnedCardKey {
  readonly jwk: JsonWebKey;
  /** Ms since the epoch before which the key is refused (KEY_EXPIRED). */
  readonly notBefore?: number;
  /** Ms since the epoch from which the key is refused (KEY_EXPIRED). */
  readonly expires?: number;
}

/** A key found for a signature. */
export interface TrustedKey {
  readonly kid: string;
  readonly alg: KeyAlgorithm;
  readonly key: KeyObject;
  /** Where it came from: `keys` (the KeyManager, with `keyId`), `jwks` (with `url`) or `pinned`. */
  readonly source: 'keys' | 'jwks' | 'pinned';
  readonly keyId?: string;
  readonly url?: string;
}

export type Lookup = TrustedKey | { readonly refused: AgentCardErrorCode; readonly cause?: unknown };

interface Pinned {
  readonly key: TrustedKey;
  readonly notBefore: number | undefined;
  readonly expires: number | undefined;
}

export interface TrustSources {
  readonly keys?: CardVerifyingKeys;
  readonly keyIds?: readonly string[];
  readonly jwks?: readonly RemoteCardKeySet[];
  readonly pinnedKeys?: readonly (PinnedCardKey | JsonWebKey)[];
  readonly jku?: 'allow-list' | 'ignore';
}

/** Pinned keys parsed once per policy: public members only, kid = thumbprint, alg from core's table. */
function pin(entry: PinnedCardKey | JsonWebKey): Pinned {
  const given = (
    typeof (entry as PinnedCardKey).jwk === 'object' ? (entry as PinnedCardKey).jwk : entry
  ) as JsonWebKey;
  const { notBefore, expires } = entry as PinnedCardKey;
  if (typeof given !== 'object' || given === null || 'd' in given || 'k' in given) {
    // Not echoed: it may be a private or secret key passed by mistake.
    throw new AgentCardError('INVALID_ARGUMENT', 'pinnedKeys must be public JWKs (no "d" or "k" member)');
  }
  let key: KeyObject;
  let alg: KeyAlgorithm;
  try {
    key = createPublicKey({ key: given, format: 'jwk' });
    alg = keyAlgorithm(key);
  } catch {
    throw new AgentCardError(
      'INVALID_ARGUMENT',
      'a pinned key is not an Ed25519, P-256 or RSA (2048 bits or more) public JWK',
    );
  }
  const jwk = key.export({ format: 'jwk' });
  return {
    key: { kid: jwkThumbprint(jwk), alg, key, source: 'pinned' },
    notBefore: typeof notBefore === 'number' ? notBefore : undefined,
    expires: typeof expires === 'number' ? expires : undefined,
  };
}

// Pinned keys parsed once per list (a policy is usually made once and used for every card).
const parsed = new WeakMap<readonly unknown[], readonly Pinned[]>();

function pinnedOf(entries: readonly (PinnedCardKey | JsonWebKey)[]): readonly Pinned[] {
  let pins = parsed.get(entries);
  if (pins === undefined) {
    pins = entries.map(pin);
    parsed.set(entries, pins);
  }
  return pins;
}

export class TrustedKeys {
  readonly #pinned: readonly Pinned[];
  readonly #sets: ReadonlyMap<string, RemoteCardKeySet>;
  readonly #keys: CardVerifyingKeys | undefined;
  readonly #keyIds: readonly string[];
  readonly #jku: 'allow-list' | 'ignore';

  constructor(sources: TrustSources) {
    this.#jku = sources.jku ?? 'allow-list';
    if (this.#jku !== 'allow-list' && this.#jku !== 'ignore') {
      throw new AgentCardError('INVALID_ARGUMENT', 'jku must be "allow-list" (the default) or "ignore"');
    }
    this.#pinned = pinnedOf(sources.pinnedKeys ?? []);
    const sets = new Map<string, RemoteCardKeySet>();
    for (const set of sources.jwks ?? []) {
      if (typeof set?.getKey !== 'function' || typeof set.url !== 'string') {
        throw new AgentCardError(
          'INVALID_ARGUMENT',
          'jwks entries must be remote key sets (createRemoteKeySet)',
        );
      }
      sets.set(new URL(set.url).href, set);
    }
    this.#sets = sets;
    this.#keys = sources.keys;
    this.#keyIds = sources.keyIds ?? [];
    if (this.#keys !== undefined && this.#keyIds.length === 0) {
      throw new AgentCardError('INVALID_ARGUMENT', 'keys needs keyIds: the ids whose keys are trusted');
    }
    if (this.#keyIds.length > 0 && this.#keys === undefined) {
      throw new AgentCardError('INVALID_ARGUMENT', 'keyIds needs keys: the KeyManager that holds them');
    }
    if (this.#pinned.length === 0 && sets.size === 0 && this.#keys === undefined) {
      throw new AgentCardError(
        'INVALID_ARGUMENT',
        'the trust policy has no keys: give keys + keyIds, jwks (pinned JWK Set URLs) or pinnedKeys',
      );
    }
  }

  /** The trusted key with thumbprint `kid`, looked up where `jku` (if any) and the jku mode allow. */
  async find(kid: string, jku: unknown, now: number): Promise<Lookup> {
    if (jku !== undefined) {
      let href: string | undefined;
      try {
        href = typeof jku === 'string' ? new URL(jku).href : undefined;
      } catch {
        href = undefined;
      }
      const set = href === undefined ? undefined : this.#sets.get(href);
      if (set !== undefined) return this.#fromSet(set, kid, now);
      if (this.#jku === 'allow-list') return { refused: 'JKU_REFUSED' };
    }
    return this.#configured(kid, now);
  }

  async #configured(kid: string, now: number): Promise<Lookup> {
    for (const entry of this.#pinned) {
      if (entry.key.kid !== kid) continue;
      if (
        (entry.notBefore !== undefined && now < entry.notBefore) ||
        (entry.expires !== undefined && now >= entry.expires)
      ) {
        return { refused: 'KEY_EXPIRED' };
      }
      return entry.key;
    }
    let outage: unknown;
    if (this.#keys !== undefined) {
      for (const keyId of this.#keyIds) {
        try {
          const pair = await this.#keys.getKeyByKid(keyId, kid);
          return { kid: pair.kid, alg: pair.alg, key: publicKeyObject(pair), source: 'keys', keyId };
        } catch (error) {
          if (isKeyStoreError(error, 'NOT_FOUND')) continue;
          // A key core's table refuses verifies nothing, whatever the header says.
          if (isKeyStoreError(error, 'UNSUPPORTED') || isKeyStoreError(error, 'INVALID_KEY')) continue;
          outage ??= error;
        }
      }
    }
    for (const set of this.#sets.values()) {
      const found = await this.#fromSet(set, kid, now);
      if (!('refused' in found)) return found;
      if (found.refused === 'KEYS_UNAVAILABLE') outage ??= found.cause;
    }
    return outage === undefined ? { refused: 'KID_UNKNOWN' } : { refused: 'KEYS_UNAVAILABLE', cause: outage };
  }

  async #fromSet(set: RemoteCardKeySet, kid: string, now: number): Promise<Lookup> {
    let found: RemoteCardKey | undefined;
    try {
      found = await set.getKey(kid);
    } catch (error) {
      return { refused: 'KEYS_UNAVAILABLE', cause: error };
    }
    if (found === undefined) return { refused: 'KID_UNKNOWN' };
    if (
      (found.notBefore !== undefined && now < found.notBefore) ||
      (found.expires !== undefined && now >= found.expires)
    ) {
      return { refused: 'KEY_EXPIRED' };
    }
    let alg: KeyAlgorithm;
    try {
      alg = keyAlgorithm(found.key); // core's table: the same rule for every key we verify with
    } catch {
      return { refused: 'KID_UNKNOWN' };
    }
    return { kid: found.kid, alg, key: found.key, source: 'jwks', url: set.url };
  }
}
