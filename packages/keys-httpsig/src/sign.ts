/**
 * Signing a request with an agent's managed key, through KeyManager's one signing seam (`signDetailed`), so
 * a key in Vault Transit, a PKCS#11 token or KMS signs exactly as a local one and never leaves its store.
 *
 * The `keyid` parameter is inside the signed base, so it must be known before signing: it is read from the
 * key `sign` uses now (`getPublicKeyPair`), and `signDetailed` says which key actually signed. If a staged
 * rotation switched the signing key between the two (its activation time passed), the base is rebuilt with
 * the new kid and signed once more; a second mismatch is refused rather than sending a signature whose keyid
 * names another key.
 *
 * Default profile: Web Bot Auth (draft-meunier-webbotauth-httpsig-protocol) — components `@authority` and
 * the `Signature-Agent` member when an agent directory is named, `content-digest` when there is a body;
 * `created`, `expires` (default 300 s, at most 24 h), `keyid` = RFC 7638 thumbprint, `alg`, a 64-byte
 * `nonce` and `tag="web-bot-auth"`.
 */
import { randomBytes } from 'node:crypto';
import { isKeyAlgorithm, type KeyManager } from '@phlow/keys-core';
import { httpSigAlgorithm } from './alg-names.js';
import { contentDigest } from './content-digest.js';
import { HttpSigError } from './errors.js';
import { type HeaderRecord, type HttpMessage, messageOf, messageOfRequest } from './message.js';
import { signatureBase } from './signature-base.js';
import {
  type BareItem,
  type InnerList,
  type Item,
  type Params,
  serializeBare,
  serializeInnerList,
  Token,
} from './structured-fields.js';

/** The tag of the Web Bot Auth profile. */
export const WEB_BOT_AUTH_TAG = 'web-bot-auth';
/** The longest signature validity the profile recommends, and the most we sign or accept: 24 h. */
export const MAX_EXPIRES_IN_SECONDS = 24 * 60 * 60;
/** Default validity of a signature: 300 s. */
export const DEFAULT_EXPIRES_IN_SECONDS = 300;

/** The KeyManager methods signing uses (a KeyManager fits). */
export type SigningKeys = Pick<KeyManager, 'signDetailed' | 'getPublicKeyPair'>;

export interface SignRequestOptions {
  /**
   * The agent's key directory origin (or URL), sent as the `Signature-Agent` dictionary member named by
   * `label` and covered by the signature. Default: none (no `Signature-Agent` header).
   */
  readonly agent?: string | URL;
  /** `type` parameter of the Signature-Agent member: `directory` (default, omitted) or `jwks_uri`. */
  readonly agentType?: 'directory' | 'jwks_uri';
  /** Signature label. Default: `sig1`. */
  readonly label?: string;
  /**
   * Covered components, replacing the profile's (`@authority`, the Signature-Agent member, `content-digest`
   * when there is a body). Plain strings; `name;key="member"` is not parsed here, give `{ name, key }`.
   */
  readonly components?: readonly (string | { readonly name: string; readonly key: string })[];
  /** Validity in seconds, 1 to 86400. Default: 300. `null`: no `expires` (not the Web Bot Auth profile). */
  readonly expiresInSeconds?: number | null;
  /** `tag` parameter. Default: `web-bot-auth`; `null` for none. */
  readonly tag?: string | null;
  /** `nonce` parameter: a string, `false` for none. Default: 64 random bytes, base64 (what web-bot-auth expects). */
  readonly nonce?: string | false;
  /** `keyid`. Default: the RFC 7638 thumbprint of the signing key (the profile's rule). */
  readonly keyid?: string;
  /** Whether to send the `alg` parameter. Default: true. */
  readonly includeAlg?: boolean;
  /** Add and cover `Content-Digest` when there is a body. Default: true. */
  readonly digest?: boolean;
  /** Clock, ms. Default: Date.now. */
  readonly now?: () => number;
}

/** The headers to add to the request. */
export interface SignatureHeaders {
  readonly 'signature-input': string;
  readonly signature: string;
  readonly 'signature-agent'?: string;
  readonly 'content-digest'?: string;
}

export interface SignedDetails {
  readonly headers: SignatureHeaders;
  /** The key that signed: its id, thumbprint, JWS algorithm and store version. */
  readonly kid: string;
  readonly alg: string;
  readonly version?: string;
  /** The signature base that was signed, for debugging. Not secret. */
  readonly base: string;
}

const LABEL = /^[a-z*][a-z0-9_\-.*]*$/;

function componentItems(
  options: SignRequestOptions,
  hasAgent: boolean,
  label: string,
  hasBody: boolean,
  digest: boolean,
): Item[] {
  if (options.components) {
    return options.components.map((c) =>
      typeof c === 'string'
        ? { value: c.toLowerCase(), params: new Map() }
        : { value: c.name.toLowerCase(), params: new Map<string, BareItem>([['key', c.key]]) },
    );
  }
  const items: Item[] = [{ value: '@authority', params: new Map() }];
  if (hasAgent) items.push({ value: 'signature-agent', params: new Map<string, BareItem>([['key', label]]) });
  if (hasBody && digest) items.push({ value: 'content-digest', params: new Map() });
  return items;
}

/**
 * Signs `message` with the key `keyId` signs with now and returns the headers to add, with what signed them.
 * The message must already carry every header it covers except those this function adds.
 */
export async function signMessage(
  keys: SigningKeys,
  keyId: string,
  message: HttpMessage,
  options: SignRequestOptions = {},
): Promise<SignedDetails> {
  const label = options.label ?? 'sig1';
  if (!LABEL.test(label))
    throw new HttpSigError('INVALID_ARGUMENT', 'label must be a structured-fields key (a-z, 0-9, _-.*)');
  const expiresIn =
    options.expiresInSeconds === undefined ? DEFAULT_EXPIRES_IN_SECONDS : options.expiresInSeconds;
  if (
    expiresIn !== null &&
    (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRES_IN_SECONDS)
  ) {
    throw new HttpSigError(
      'INVALID_ARGUMENT',
      `expiresInSeconds must be an integer from 1 to ${MAX_EXPIRES_IN_SECONDS}`,
    );
  }
  const added: Record<string, string> = {};
  if (options.agent !== undefined) {
    const url = new URL(options.agent);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new HttpSigError('INVALID_ARGUMENT', 'agent must be an https: URL');
    }
    const value = url.pathname === '/' && !url.search ? url.origin : url.href;
    const params: Params = new Map();
    if (options.agentType === 'jwks_uri') params.set('type', new Token('jwks_uri'));
    added['signature-agent'] = `${label}=${serializeBare(value)}${params.size ? `;type=jwks_uri` : ''}`;
  }
  const digest = options.digest !== false;
  const body = message.body && message.body.byteLength > 0 ? message.body : undefined;
  if (body && digest) added['content-digest'] = contentDigest(body);
  const view: HttpMessage = {
    ...message,
    header: (name) => added[name.toLowerCase()] ?? message.header(name),
  };
  const items = componentItems(options, options.agent !== undefined, label, body !== undefined, digest);
  const created = Math.floor((options.now ?? Date.now)() / 1000);
  const nonce = options.nonce === false ? undefined : (options.nonce ?? randomBytes(64).toString('base64'));
  const tag = options.tag === undefined ? WEB_BOT_AUTH_TAG : options.tag;

  const attempt = async (kid: string, alg: string) => {
    const params: Params = new Map<string, BareItem>([['created', created]]);
    if (expiresIn !== null) params.set('expires', created + expiresIn);
    params.set('keyid', options.keyid ?? kid);
    if (options.includeAlg !== false) params.set('alg', alg);
    if (nonce !== undefined) params.set('nonce', nonce);
    if (tag !== null) params.set('tag', tag);
    const list: InnerList = { items, params };
    const base = signatureBase(view, list);
    const signed = await keys.signDetailed(keyId, base);
    return { list, base, signed };
  };

  const planned = await keys.getPublicKeyPair(keyId);
  let result = await attempt(planned.kid, httpSigAlgorithm(planned.alg));
  if (result.signed.kid !== planned.kid) {
    // The signing key switched between the read and the signature (a staged rotation activated): once more.
    const { kid, alg } = result.signed;
    if (!isKeyAlgorithm(alg))
      throw new HttpSigError('ALG_REFUSED', 'the signing key is of a type nothing verifies with');
    result = await attempt(kid, httpSigAlgorithm(alg));
    if (result.signed.kid !== kid) {
      throw new HttpSigError(
        'INVALID_ARGUMENT',
        `the signing key of "${keyId}" changed twice while signing: retry`,
      );
    }
  }
  const { list, base, signed } = result;
  const headers: SignatureHeaders = {
    ...added,
    'signature-input': `${label}=${serializeInnerList(list)}`,
    signature: `${label}=${serializeBare(signed.signature)}`,
  } as SignatureHeaders;
  return {
    headers,
    kid: signed.kid,
    alg: signed.alg,
    ...(signed.version !== undefined ? { version: signed.version } : {}),
    base,
  };
}

export interface SignRequestMoreOptions extends SignRequestOptions {
  /** Most body bytes read to compute Content-Digest. Default: 1 MiB. */
  readonly maxBodyBytes?: number;
}

/** A copy of `request` carrying the signature headers (the body is read, bounded, from a clone). */
export async function signRequest(
  keys: SigningKeys,
  keyId: string,
  request: Request,
  options: SignRequestMoreOptions = {},
): Promise<Request> {
  const message = await messageOfRequest(request, options.maxBodyBytes);
  const { headers } = await signMessage(keys, keyId, message, options);
  const out = new Headers(request.headers);
  for (const [name, value] of Object.entries(headers)) out.set(name, value);
  return new Request(request, { headers: out });
}

/** Node `http.request` options, the subset that names the target. */
export interface NodeRequestOptions {
  readonly protocol?: string | null;
  readonly hostname?: string | null;
  readonly host?: string | null;
  readonly port?: number | string | null;
  readonly method?: string;
  readonly path?: string | null;
  readonly headers?: HeaderRecord;
}

/**
 * Node `http.request` / `https.request` options with the signature headers added (a new object; the headers
 * are merged). `body` is what will be written, for Content-Digest.
 */
export async function signNodeRequest<T extends NodeRequestOptions>(
  keys: SigningKeys,
  keyId: string,
  requestOptions: T,
  body?: Uint8Array | string,
  options: SignRequestOptions = {},
): Promise<T & { headers: Record<string, string | number | readonly string[]> }> {
  const protocol = requestOptions.protocol ?? 'https:';
  const host = requestOptions.hostname ?? requestOptions.host ?? 'localhost';
  const port = requestOptions.port ? `:${requestOptions.port}` : '';
  const url = new URL(
    `${protocol}//${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}${port}${requestOptions.path ?? '/'}`,
  );
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const headers = { ...(requestOptions.headers ?? {}) } as Record<
    string,
    string | number | readonly string[]
  >;
  const message = messageOf(requestOptions.method ?? 'GET', url, headers, bytes);
  const signed = await signMessage(keys, keyId, message, options);
  const merged: Record<string, string | number | readonly string[]> = { ...headers };
  for (const [name, value] of Object.entries(signed.headers)) if (value !== undefined) merged[name] = value;
  return { ...requestOptions, headers: merged };
}
