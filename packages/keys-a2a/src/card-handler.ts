/**
 * createAgentCardHandler: serves an agent's signed card at /.well-known/agent-card.json as a web-standard
 * `(request: Request) => Promise<Response>`; createAgentCardNodeHandler adapts it to Node's http and Express
 * with keys-jwt's `toNodeHandler` (the one adapter both endpoints share).
 *
 * The card is signed by signAgentCard (the signing key and, during a staged rotation, the published next
 * key), serialised once and served with an `ETag`; `If-None-Match` gets a 304. When it is signed again:
 *
 * - at once after its own KeyManager writes the id (`changed` / `rotated` events: KeyManager's one event
 *   mechanism), so a rotation made here is on the card for the next request;
 * - when the keys that verify now (KeyManager's cached view, compared at most once a second) no longer
 *   match the card's: a key revoked or a next key published by another process is on the card within the
 *   KeyManager's cache TTL;
 * - otherwise when the served card is `maxAgeSeconds` old (an activation, the end of a grace period).
 *   A re-signed card whose signing keys are the same keeps its body and ETag (ES256 signatures are
 *   randomised: without this every re-sign would look like a change to caches).
 *
 * Why max-age defaults to half the rotation delay (at most 1 h): a verifier may keep the card for max-age.
 * Every card carries a signature by the key that signs when it is served; a rotation made right after that
 * leaves that key verifying for at least the rotation delay (the new key only starts signing then) plus the
 * grace period. With max-age at most half the delay, the card a verifier cached is still verifiable when it
 * must revalidate, whatever rotation happened in between, and the other half covers the server learning of a
 * rotation made elsewhere. An emergency rotation (`revokePrevious`) is the exception by design: the revoked
 * key verifies nothing at once, a verifier refuses the cached card (KID_UNKNOWN) and fetches it again.
 *
 * Failures follow KeyManager's rules: during an outage (UNAVAILABLE) the last card is served with max-age 0
 * within the stale-if-error window; any other failure (revoked credential, tampered store) is a 503 and the
 * last card is dropped. Concurrent requests share one signing.
 */
import { isKeyStoreError, type KeyManager } from '@phlow/keys-core';
import { etagOf, matchesIfNoneMatch, type NodeJwksHandler, toNodeHandler } from '@phlow/keys-jwt';
import { base64url } from 'jose';
import { type CardSigningKeys, isPlainObject } from './card.js';
import { AgentCardError } from './errors.js';
import { canonicalize } from './jcs.js';
import { checkJku, signAgentCard } from './sign.js';

/** What the handler asks of KeyManager besides signing: its events, rotation delay and stale window. */
export type AgentCardHandlerKeys = CardSigningKeys &
  Pick<KeyManager, 'subscribe' | 'rotationDelayMs' | 'staleIfErrorMs'>;

export interface AgentCardHandlerOptions {
  /** `jku` in each signature's header: the URL of your JWK Set. Default: none. */
  readonly jku?: string | URL;
  /**
   * `Cache-Control: public, max-age` (counted down from the signing). Default and upper bound: half the
   * KeyManager's `rotationDelayMs` (`PHLOW_KEY_ROTATION_DELAY_SECONDS`), at most 3600. A larger value is
   * refused (INVALID_ARGUMENT): a rotation could then outrun a cached card.
   */
  readonly maxAgeSeconds?: number;
  /** Called with a signing failure (the response is then a stale card or a 503). Default: none. */
  readonly onError?: (error: unknown) => void;
  /** Clock, for tests. Default: `Date.now`. */
  readonly now?: () => number;
}

export type AgentCardHandler = ((request: Request) => Promise<Response>) & {
  /** Stops listening to the KeyManager's events. */
  close(): void;
};

const CONTENT_TYPE = 'application/json';
const MAX_MAX_AGE_SECONDS = 3600;
/** How often a served card's keys are compared with the keys that verify now. */
const KEY_RECHECK_MS = 1000;

interface Built {
  readonly body: string;
  readonly etag: string;
  /** The protected headers of its signatures, joined: equal means the same keys signed. */
  readonly kids: string;
  /** The thumbprints of the keys that signed it. */
  readonly signedBy: readonly string[];
  readonly at: number;
  readonly generation: number;
}

/** The longest max-age a rotation cannot outrun: half the rotation delay, at most 1 h. */
export function cardMaxAgeBound(rotationDelayMs: number): number {
  return Math.min(MAX_MAX_AGE_SECONDS, Math.floor(rotationDelayMs / 2000));
}

export function createAgentCardHandler(
  keys: AgentCardHandlerKeys,
  keyId: string,
  card: Readonly<Record<string, unknown>>,
  options: AgentCardHandlerOptions = {},
): AgentCardHandler {
  if (!isPlainObject(card))
    throw new AgentCardError('INVALID_ARGUMENT', 'the card must be a plain JSON object');
  canonicalize(card); // refuse a card RFC 8785 cannot write now, not at the first request
  const template = structuredClone(card);
  const jku = options.jku === undefined ? undefined : checkJku(options.jku);
  const bound = cardMaxAgeBound(keys.rotationDelayMs);
  const maxAge = options.maxAgeSeconds ?? bound;
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > bound) {
    throw new AgentCardError(
      'INVALID_ARGUMENT',
      `maxAgeSeconds must be a whole number from 0 to ${bound} (half the rotation delay, at most 1 h), so a rotation never outruns a cached card`,
    );
  }
  // Re-signed at least this often (once a second when max-age is 0: revalidations then mostly get a 304).
  const refreshMs = Math.max(maxAge * 1000, 1000);
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => {});

  let current: Built | undefined;
  let building: { readonly promise: Promise<Built>; readonly generation: number } | undefined;
  let generation = 0;
  const unsubscribe = keys.subscribe((event) => {
    if ((event.type === 'changed' || event.type === 'rotated') && event.keyId === keyId) generation++;
  });

  const build = async (at: number, gen: number): Promise<Built> => {
    const signed = await signAgentCard(keys, keyId, template, jku === undefined ? {} : { jku });
    const kids = signed.signatures.map((s) => s.protected).join(',');
    // Same keys and headers: the signatures already served still verify; keep the body and its ETag.
    if (current !== undefined && current.kids === kids) return { ...current, at, generation: gen };
    const body = JSON.stringify(signed);
    const etag = etagOf(body);
    const signedBy = signed.signatures.map(
      (s) => (JSON.parse(new TextDecoder().decode(base64url.decode(s.protected))) as { kid: string }).kid,
    );
    return { body, etag, kids, signedBy, at, generation: gen };
  };

  // Between re-signings, at most once per KEY_RECHECK_MS: do the keys that verify now (the KeyManager's
  // cached view, read again per its cache TTL) still match the card? A key revoked elsewhere or a next key
  // published elsewhere then re-signs the card within the cache TTL instead of max-age.
  let checkedAt = Number.NEGATIVE_INFINITY;
  const keysChanged = async (built: Built): Promise<boolean> => {
    if (now() - checkedAt < KEY_RECHECK_MS) return false;
    checkedAt = now();
    let verifying: readonly { readonly kid: string }[];
    try {
      verifying = await keys.getVerificationKeys(keyId);
    } catch {
      return false; // an outage: the build path decides what to serve
    }
    const kids = new Set(verifying.map((pair) => pair.kid));
    const newest = verifying[0]?.kid;
    return (
      !built.signedBy.every((kid) => kids.has(kid)) ||
      (newest !== undefined && !built.signedBy.includes(newest))
    );
  };

  const fresh = (built: Built | undefined): built is Built =>
    built !== undefined && built.generation === generation && now() - built.at < refreshMs;

  const getCard = async (): Promise<{ built: Built; stale: boolean }> => {
    if (fresh(current)) {
      if (!(await keysChanged(current))) return { built: current, stale: false };
      generation++;
    }
    if (!building || building.generation !== generation) {
      const gen = generation;
      const flight = { promise: build(now(), gen), generation: gen };
      building = flight;
      flight.promise.then(
        (built) => {
          if (building === flight) building = undefined;
          if (!current || built.at >= current.at) current = built;
        },
        () => {
          if (building === flight) building = undefined;
        },
      );
    }
    try {
      return { built: await building.promise, stale: false };
    } catch (error) {
      try {
        onError(error);
      } catch {
        // A throwing hook changes nothing.
      }
      if (!isKeyStoreError(error, 'UNAVAILABLE')) current = undefined;
      const last = current as Built | undefined;
      if (last && now() - last.at <= refreshMs + keys.staleIfErrorMs) return { built: last, stale: true };
      throw error;
    }
  };

  const handler = async (request: Request): Promise<Response> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { Allow: 'GET, HEAD' } });
    }
    let served: { built: Built; stale: boolean };
    try {
      served = await getCard();
    } catch {
      return new Response(JSON.stringify({ error: 'the agent card cannot be signed now' }), {
        status: 503,
        headers: { 'Content-Type': CONTENT_TYPE, 'Cache-Control': 'no-store', 'Retry-After': '5' },
      });
    }
    const { built, stale } = served;
    const remaining = stale ? 0 : Math.max(0, maxAge - Math.floor((now() - built.at) / 1000));
    const headers = {
      'Content-Type': CONTENT_TYPE,
      'Cache-Control': `public, max-age=${remaining}`,
      ETag: built.etag,
    };
    if (matchesIfNoneMatch(request.headers.get('if-none-match'), built.etag)) {
      return new Response(null, { status: 304, headers });
    }
    return new Response(request.method === 'HEAD' ? null : built.body, { status: 200, headers });
  };
  return Object.assign(handler, { close: unsubscribe });
}

export type NodeAgentCardHandler = NodeJwksHandler;

/** createAgentCardHandler for Node's http server and Express: `app.get('/.well-known/agent-card.json', handler)`. */
export function createAgentCardNodeHandler(
  keys: AgentCardHandlerKeys,
  keyId: string,
  card: Readonly<Record<string, unknown>>,
  options: AgentCardHandlerOptions = {},
): NodeAgentCardHandler & { close(): void } {
  const handler = createAgentCardHandler(keys, keyId, card, options);
  return Object.assign(toNodeHandler(handler), { close: handler.close });
}

/** The well-known path of an agent's card (A2A spec; older tools read /.well-known/agent.json). */
export const AGENT_CARD_PATH = '/.well-known/agent-card.json';
