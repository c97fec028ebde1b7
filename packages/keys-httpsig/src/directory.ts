/**
 * The agent's key directory, served at `/.well-known/http-message-signatures-directory` as a JWK Set with the
 * media type `application/http-message-signatures-directory+json`, `Cache-Control`, a strong `ETag` (304 on
 * `If-None-Match`) and, per key, `nbf`/`exp` from the rotation timeline:
 * - a key is published (in the set, `nbf` = when it was written, less `NBF_SKEW_SECONDS` so that a verifier
 *   whose clock runs behind the store's does not refuse a key that signs at once) before it signs: a staged rotation writes
 *   the new key at once and it signs only from its activation time, so verifiers that refresh within the delay
 *   know it before the first request it signs;
 * - a replaced key stays until it stops verifying: `exp` = when its successor took over (written or activated,
 *   the later) + the grace period, the same rule as core's rotation timeline;
 * - an emergency rotation with `revokePrevious` removes the old key at once; verifiers drop it when their
 *   cached copy expires, so `maxAgeSeconds` is the bound on how long a revoked key is still accepted.
 * Optionally the response is signed (tag `http-message-signatures-directory`, component `@authority;req`)
 * by every key of the set that signs now, as the directory draft describes. Anyone may GET the directory, and
 * a signature can be a remote operation (Transit, KMS, an HSM): one is made per authority and directory body,
 * and reused for the first half of its validity, so requests cost no signing of their own.
 */
import type { KeyManager, PublicJwk } from '@phlow/keys-core';
import { BoundedMap } from '@phlow/keys-core/adapter';
import { etagOf, matchesIfNoneMatch } from '@phlow/keys-jwt/jwk-set';
import { httpSigAlgorithm } from './alg-names.js';
import { DIRECTORY_SIGNATURE_TAG } from './directory-signature.js';
import { HttpSigError } from './errors.js';
import { DIRECTORY_MEDIA_TYPE, DIRECTORY_PATH } from './key-source.js';
import { signatureBase } from './signature-base.js';
import {
  type BareItem,
  type InnerList,
  type Params,
  serializeBare,
  serializeInnerList,
} from './structured-fields.js';

/** The KeyManager methods the directory uses (a KeyManager fits). */
export type DirectoryKeys = Pick<
  KeyManager,
  | 'jwks'
  | 'getVerificationKeys'
  | 'getPublicKeyPair'
  | 'rotationState'
  | 'signDetailed'
  | 'rotationGracePeriodMs'
>;

export interface DirectoryHandlerOptions {
  /** The key ids whose keys are published (an agent's signing ids). Required. */
  readonly keyIds: readonly string[];
  /** `Cache-Control: max-age`, seconds: how stale a verifier's copy may be, so the bound on a revoked key. Default: 300. */
  readonly maxAgeSeconds?: number;
  /** Sign the response with each published id's signing key. Default: false. */
  readonly signResponse?: boolean;
  /** Validity of a response signature, seconds. Default: maxAgeSeconds. */
  readonly signatureExpiresInSeconds?: number;
  /** Clock, ms. Default: Date.now. */
  readonly now?: () => number;
}

export interface DirectoryJwk extends PublicJwk {
  readonly nbf?: number;
  readonly exp?: number;
}

type Handler = ((request: Request) => Promise<Response>) & {
  /** The directory document now (what a GET returns). */
  document(): Promise<{ keys: DirectoryJwk[] }>;
};

const secs = (ms: number) => Math.floor(ms / 1000);

/**
 * Seconds taken off a key's write time for its `nbf`: keys-jwt's remote key sets compare `nbf` with no skew,
 * and a key that signs at once (emergency rotation) must verify on a verifier whose clock is a little behind.
 * Nothing can be signed with a key before it exists, so an earlier `nbf` admits nothing more.
 */
export const NBF_SKEW_SECONDS = 60;

/** The JWK Set of `keyIds` with nbf/exp from each id's rotation timeline. */
export async function directoryDocument(
  keys: DirectoryKeys,
  keyIds: readonly string[],
): Promise<{ keys: DirectoryJwk[] }> {
  const out: DirectoryJwk[] = [];
  const seen = new Set<string>();
  for (const keyId of keyIds) {
    const state = await keys.rotationState(keyId);
    const verifying = state.verifying;
    for (let i = 0; i < verifying.length; i++) {
      const pair = verifying[i]!;
      if (seen.has(pair.kid)) continue;
      let jwk: PublicJwk;
      try {
        jwk = pair.jwk;
        void pair.alg; // the table's rule: a key nothing verifies with is not published
      } catch {
        continue;
      }
      seen.add(pair.kid);
      const entry: Record<string, unknown> = { ...jwk };
      if (pair.createdAt) entry.nbf = secs(pair.createdAt.getTime()) - NBF_SKEW_SECONDS;
      if (i > 0) {
        const successor = verifying[i - 1]!;
        const published = successor.createdAt?.getTime();
        const activates = i === 1 && state.activatesAt ? state.activatesAt.getTime() : undefined;
        const takeover = Math.max(published ?? 0, activates ?? 0);
        if (takeover > 0) entry.exp = secs(takeover + keys.rotationGracePeriodMs) + 1;
      }
      out.push(entry as unknown as DirectoryJwk);
    }
  }
  return { keys: out };
}

/** A fetch-style handler of the directory (GET/HEAD of DIRECTORY_PATH; 404 elsewhere, 405 for other methods). */
export function createDirectoryHandler(keys: DirectoryKeys, options: DirectoryHandlerOptions): Handler {
  if (!options || !Array.isArray(options.keyIds) || options.keyIds.length === 0) {
    throw new HttpSigError(
      'INVALID_ARGUMENT',
      'createDirectoryHandler needs keyIds (the ids whose keys are published)',
    );
  }
  const maxAge = options.maxAgeSeconds ?? 300;
  if (!Number.isInteger(maxAge) || maxAge < 0)
    throw new HttpSigError('INVALID_ARGUMENT', 'maxAgeSeconds must be a whole number >= 0');
  const now = options.now ?? Date.now;
  const document = () => directoryDocument(keys, options.keyIds);
  const signatures: SignatureCache = new BoundedMap(MAX_SIGNED_AUTHORITIES);
  let prepared: { readonly body: string; readonly etag: string } | undefined;

  const handler = (async (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname !== DIRECTORY_PATH) return new Response('not found\n', { status: 404 });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('method not allowed\n', { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    let body: string;
    try {
      body = JSON.stringify(await document());
    } catch {
      // An outage of the store: verifiers keep their cached copy (stale-if-error) rather than get an empty set.
      return new Response('directory unavailable\n', {
        status: 503,
        headers: { 'retry-after': '5', 'cache-control': 'no-store' },
      });
    }
    // The body and its ETag are kept per document: hashed only when the document changed.
    if (prepared?.body !== body) prepared = { body, etag: etagOf(body) };
    const { etag } = prepared;
    const headers = new Headers({
      'content-type': DIRECTORY_MEDIA_TYPE,
      'cache-control': `max-age=${maxAge}`,
      etag,
    });
    if (matchesIfNoneMatch(request.headers.get('if-none-match'), etag)) {
      return new Response(null, { status: 304, headers });
    }
    if (options.signResponse) await signResponse(keys, options, request, headers, maxAge, now, signatures);
    return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers });
  }) as Handler;
  handler.document = document;
  return handler;
}

/** Most authorities whose directory signatures are kept for reuse. */
const MAX_SIGNED_AUTHORITIES = 16;

/** Signature headers by authority: for which body (ETag), and until when (ms) they are reused. */
type SignatureCache = BoundedMap<
  string,
  { readonly etag: string; readonly until: number; readonly input: string; readonly signature: string }
>;

/** Adds Signature-Input/Signature to the directory response: one signature per published id's signing key. */
async function signResponse(
  keys: DirectoryKeys,
  options: DirectoryHandlerOptions,
  request: Request,
  headers: Headers,
  maxAge: number,
  now: () => number,
  cache: SignatureCache,
): Promise<void> {
  const url = new URL(request.url);
  const etag = headers.get('etag') ?? '';
  const cached = cache.get(url.host);
  if (cached && cached.etag === etag && now() < cached.until) {
    headers.set('signature-input', cached.input);
    headers.set('signature', cached.signature);
    return;
  }
  const created = secs(now());
  const expiresIn = options.signatureExpiresInSeconds ?? Math.max(maxAge, 60);
  const inputs: string[] = [];
  const sigs: string[] = [];
  // `@authority;req` is the request's authority (RFC 9421 section 2.4): the directory's own origin.
  const message = { method: request.method, url, header: () => undefined };
  let n = 0;
  for (const keyId of options.keyIds) {
    const pair = await keys.getPublicKeyPair(keyId);
    const params: Params = new Map<string, BareItem>([
      ['alg', httpSigAlgorithm(pair.alg)],
      ['created', created],
      ['expires', created + expiresIn],
      ['keyid', pair.kid],
      ['tag', DIRECTORY_SIGNATURE_TAG],
    ]);
    const list: InnerList = { items: [{ value: '@authority', params: new Map([['req', true]]) }], params };
    const base = signatureBase(message, list, true);
    const signed = await keys.signDetailed(keyId, base);
    if (signed.kid !== pair.kid) continue; // the signing key switched meanwhile: the next response carries it
    const label = `sig${++n}`;
    inputs.push(`${label}=${serializeInnerList(list)}`);
    sigs.push(`${label}=${serializeBare(signed.signature)}`);
  }
  if (inputs.length) {
    headers.set('signature-input', inputs.join(', '));
    headers.set('signature', sigs.join(', '));
    cache.set(url.host, {
      etag,
      until: (created + Math.floor(expiresIn / 2)) * 1000,
      input: inputs.join(', '),
      signature: sigs.join(', '),
    });
  }
}
