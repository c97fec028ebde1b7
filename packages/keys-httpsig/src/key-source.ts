/**
 * Where a verifier finds the key a signature names.
 *
 * - Directories: the `Signature-Agent` member names an origin; under the policy (allowed origins, HTTPS,
 *   address rules) its directory is fetched and cached by keys-jwt's `createRemoteKeySet`, the one remote
 *   JWK Set fetcher of this repository (size, key count, time and redirect bounds, HTTP caching, refetch on an
 *   unknown kid with a cooldown, stale-if-error). One key set per directory URL, in a bounded map.
 * - Local: a KeyManager's keys of one id (an agent's own peers), read through the unverified-read gate, so a
 *   hostile keyid or agent name never decides how much work the store does.
 */
import type { KeyManager } from '@phlow/keys-core';
import { BoundedMap } from '@phlow/keys-core/adapter';
import type { RemoteKeySetOptions } from '@phlow/keys-jwt';
import { checkDirectorySignature } from './directory-signature.js';
import { HttpSigError } from './errors.js';

/** A key of a directory: what keys-jwt's RemoteKeySet returns (structural, so any copy fits). */
export interface DirectoryKey {
  readonly kid: string;
  readonly alg: string;
  readonly key: import('node:crypto').KeyObject;
}

/** What a verifier needs of a remote key set (keys-jwt's RemoteKeySet fits). */
export interface DirectoryKeySet {
  getKey(kid: string): Promise<DirectoryKey | undefined>;
  close(): void;
}

/**
 * The fetch bounds a directory policy hands to keys-jwt's createRemoteKeySet as they are, when set (same names,
 * defaults and docs: see RemoteKeySetOptions). One list for the policy's type, the factory's options and the
 * copying between them, so an option added here reaches the fetcher.
 */
const FETCH_BOUNDS = [
  'timeoutMs',
  'maxBytes',
  'maxKeys',
  'cooldownMs',
  'minMaxAgeMs',
  'maxMaxAgeMs',
  'staleIfErrorMs',
  'negativeTtlMs',
] as const;
type FetchBound = (typeof FETCH_BOUNDS)[number];

/**
 * Options handed to the key set factory: keys-jwt's RemoteKeySetOptions fields (names, defaults and docs live
 * there), the first four always set by the verifier; `validate` is the directory response signature check.
 */
export type DirectoryFetchOptions = Required<
  Pick<
    RemoteKeySetOptions,
    'accept' | 'allowPrivateAddresses' | 'allowInsecureLoopback' | 'backgroundRefresh'
  >
> &
  Pick<RemoteKeySetOptions, FetchBound | 'now'> & {
    /** Checks a 200 response before its keys are used (the directory response signature). */
    readonly validate?: (response: { status: number; headers: Headers; body: Uint8Array }) => void;
  };

export type DirectoryKeySetFactory = (url: string, options: DirectoryFetchOptions) => DirectoryKeySet;

/** The directory's media type, then plain JSON types some servers send. */
export const DIRECTORY_MEDIA_TYPE = 'application/http-message-signatures-directory+json';
export const DIRECTORY_PATH = '/.well-known/http-message-signatures-directory';

/**
 * The fetch options a directory policy passes to keys-jwt's createRemoteKeySet, as they are there (same
 * names, defaults and docs: see RemoteKeySetOptions). `allowInsecureLoopback` also lets Signature-Agent
 * name an `http:` loopback origin.
 */
export type DirectoryFetchPolicy = Pick<
  RemoteKeySetOptions,
  'allowPrivateAddresses' | 'allowInsecureLoopback' | FetchBound
>;

export interface DirectoryPolicy extends DirectoryFetchPolicy {
  /** Origins whose directories may be fetched, e.g. `https://agent.example`. Required: nothing else is contacted. */
  readonly allowedOrigins: readonly string[];
  /**
   * Require the directory response to be signed by a key it publishes (tag
   * `http-message-signatures-directory`, `"@authority";req`); an unsigned or wrongly signed directory is
   * refused (DIRECTORY_UNAVAILABLE, keys-jwt's BAD_RESPONSE as cause). Default: false.
   */
  readonly requireSignedDirectory?: boolean;
  /** Refresh directories in the background before they expire, with jitter. Default: true (keys-jwt's is false). */
  readonly backgroundRefresh?: boolean;
  /** Most directories cached at once (least recently used dropped). Default: 100. */
  readonly maxDirectories?: number;
  /**
   * Most directory URLs of one origin other than its well-known directory (paths and `jwks_uri`s named by
   * Signature-Agent); a further one is AGENT_REFUSED with nothing fetched. Signature-Agent is read before any
   * signature is checked, so without this bound every request naming a new path of an allowed origin would
   * cost a fetch and push a known directory out of the cache. Default: 4.
   */
  readonly maxDirectoriesPerOrigin?: number;
  /** The key set factory. Default: `createRemoteKeySet` of `@phlow/keys-jwt`. */
  readonly keySetFactory?: DirectoryKeySetFactory;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** The directory URL a Signature-Agent value names, or AGENT_REFUSED if the policy does not allow it. */
export function directoryUrl(agent: string, type: string, policy: DirectoryPolicy): string {
  let url: URL;
  try {
    url = new URL(agent);
  } catch {
    throw new HttpSigError('AGENT_REFUSED', 'Signature-Agent is not a URL');
  }
  const insecureOk =
    policy.allowInsecureLoopback === true && url.protocol === 'http:' && LOOPBACK.test(url.hostname);
  if (url.protocol !== 'https:' && !insecureOk) {
    throw new HttpSigError(
      'AGENT_REFUSED',
      'Signature-Agent is not an https: URL: directories are only fetched over HTTPS',
    );
  }
  if (url.username || url.password)
    throw new HttpSigError('AGENT_REFUSED', 'Signature-Agent carries credentials');
  if (!policy.allowedOrigins.includes(url.origin)) {
    throw new HttpSigError(
      'AGENT_REFUSED',
      'Signature-Agent names an origin outside policy.allowedOrigins: nothing was fetched (add the origin to allowedOrigins to trust it)',
    );
  }
  // A fragment is never sent: `#1` and `#2` are one document, and one key set.
  url.hash = '';
  if (type === 'jwks_uri') return url.href;
  if (type !== 'directory')
    throw new HttpSigError('AGENT_REFUSED', 'Signature-Agent has an unknown type parameter');
  return url.pathname === '/' || url.pathname === '' ? `${url.origin}${DIRECTORY_PATH}` : url.href;
}

let defaultFactory: DirectoryKeySetFactory | undefined;

/** keys-jwt's createRemoteKeySet, loaded on first use (a verifier of local keys never loads jose). */
async function remoteFactory(): Promise<DirectoryKeySetFactory> {
  if (defaultFactory) return defaultFactory;
  const mod = (await import('@phlow/keys-jwt')) as unknown as { createRemoteKeySet?: DirectoryKeySetFactory };
  if (typeof mod.createRemoteKeySet !== 'function') {
    throw new HttpSigError(
      'INVALID_ARGUMENT',
      'this @phlow/keys-jwt has no createRemoteKeySet: install a newer @phlow/keys-jwt, or pass policy.keySetFactory',
    );
  }
  defaultFactory = mod.createRemoteKeySet;
  return defaultFactory;
}

/** Key sets by directory URL, bounded; closed when dropped. */
export class DirectoryKeySets {
  readonly #sets: BoundedMap<string, DirectoryKeySet>;
  readonly #policy: DirectoryPolicy;
  readonly #now: (() => number) | undefined;
  readonly #perOrigin: number;

  constructor(policy: DirectoryPolicy, now?: () => number) {
    if (!policy || !Array.isArray(policy.allowedOrigins)) {
      throw new HttpSigError(
        'INVALID_ARGUMENT',
        'a directory policy needs allowedOrigins (a list of https origins)',
      );
    }
    this.#policy = policy;
    this.#now = now;
    this.#sets = new BoundedMap(policy.maxDirectories ?? 100);
    const perOrigin = policy.maxDirectoriesPerOrigin ?? 4;
    if (!Number.isSafeInteger(perOrigin) || perOrigin < 0) {
      throw new HttpSigError('INVALID_ARGUMENT', 'maxDirectoriesPerOrigin must be a whole number >= 0');
    }
    this.#perOrigin = perOrigin;
  }

  async get(url: string): Promise<DirectoryKeySet> {
    const cached = this.#sets.get(url);
    if (cached) return cached;
    const factory = this.#policy.keySetFactory ?? (await remoteFactory());
    // Looked up again after the await, and nothing awaited from here to `set`: concurrent requests naming the
    // same new directory share one key set (each would otherwise make its own, fetch, and leave it orphaned
    // with its background refresh running, out of reach of close()).
    const known = this.#sets.get(url);
    if (known) return known;
    const { origin } = new URL(url);
    const wellKnown = `${origin}${DIRECTORY_PATH}`;
    if (url !== wellKnown) {
      let same = 0;
      for (const other of this.#sets.keys()) {
        const otherOrigin = new URL(other).origin;
        if (otherOrigin === origin && other !== wellKnown) same++;
      }
      if (same >= this.#perOrigin) {
        throw new HttpSigError(
          'AGENT_REFUSED',
          `Signature-Agent names another directory URL of an origin that has ${this.#perOrigin} already (policy.maxDirectoriesPerOrigin): nothing was fetched`,
        );
      }
    }
    const p = this.#policy;
    const set = factory(url, {
      accept: [DIRECTORY_MEDIA_TYPE, 'application/jwk-set+json', 'application/json'],
      allowPrivateAddresses: p.allowPrivateAddresses === true,
      allowInsecureLoopback: p.allowInsecureLoopback === true,
      backgroundRefresh: p.backgroundRefresh !== false,
      ...(p.requireSignedDirectory === true
        ? {
            validate: (response: { headers: Headers; body: Uint8Array }) =>
              checkDirectorySignature(url, response, (this.#now ?? Date.now)()),
          }
        : {}),
      ...(Object.fromEntries(
        FETCH_BOUNDS.filter((name) => p[name] !== undefined).map((name) => [name, p[name]]),
      ) as Pick<RemoteKeySetOptions, FetchBound>),
      ...(this.#now ? { now: this.#now } : {}),
    });
    if (this.#sets.size >= this.#sets.max) {
      // The least recently used directory leaves the map: close its key set (timers, sockets) first.
      const oldest = this.#sets.keys().next();
      if (!oldest.done) {
        this.#sets.get(oldest.value)?.close();
        this.#sets.delete(oldest.value);
      }
    }
    this.#sets.set(url, set);
    return set;
  }

  close(): void {
    for (const [, set] of this.#sets) set.close();
    this.#sets.clear();
  }
}

/** Local keys: a KeyManager and the key id whose verifying keys are trusted. */
export interface LocalKeys {
  readonly manager: Pick<KeyManager, 'getVerificationKeys' | 'recordAudit'>;
  /** The key id, or a function from the Signature-Agent value (hostile input) to one. */
  readonly keyId: string | ((agent: string | undefined) => string);
}
