/**
 * One GET of a remote document with every bound a verifier needs, which fetch() and jose's JWKS fetcher do not
 * all give: a deadline on the whole request (a server that sends one byte a second never trips an idle
 * timeout), a size cap counted while the body streams (a Content-Length can lie, or be absent), no redirects
 * (a redirect is a second URL nobody configured), https only (plain http to loopback when allowed), and an
 * address policy (address-policy.ts) applied to the address the name resolved to, which is then the address
 * connected to: the `lookup` hook hands node:http(s) the checked address, so there is no second resolution an
 * attacker's DNS could answer differently (DNS rebinding). TLS still checks the certificate against the name.
 *
 * No Accept-Encoding is sent and a compressed body is refused: decompression would turn the size cap into a
 * cap on compressed bytes.
 */

import { lookup as dnsLookup } from 'node:dns/promises';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { startDeadline } from '@phlow/keys-core/adapter';
import { type AddressPolicy, addressRefusal } from './address-policy.js';
import { RemoteKeySetError } from './remote-errors.js';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to its addresses (default: the system resolver, as node:http would use it). */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface BoundedFetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Media types sent in Accept, one of which the response's Content-Type must be. */
  readonly accept: readonly string[];
  readonly policy: AddressPolicy;
  readonly resolve?: ResolveHost | undefined;
  /** Sent as If-None-Match; a 304 is accepted only then. */
  readonly ifNoneMatch?: string | undefined;
  /** Trust anchors for https, instead of Node's (a private PKI, a test certificate). */
  readonly ca?: string | readonly string[] | undefined;
}

export interface BoundedResponse {
  readonly status: 200 | 304;
  readonly headers: Headers;
  /** Empty for a 304. */
  readonly body: Uint8Array;
}

const defaultResolve: ResolveHost = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

/** Where a URL's bounds start: its text without query or fragment, safe for messages. */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Retry-After as milliseconds (seconds or an HTTP date), or undefined. */
function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

function toHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header value fetch's Headers refuses is dropped, never echoed.
    }
  }
  return headers;
}

/** The media type of a Content-Type, lower case, without parameters. */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** GETs `url` within the bounds of `options`; every failure is a RemoteKeySetError. */
export async function boundedFetch(url: URL, options: BoundedFetchOptions): Promise<BoundedResponse> {
  const where = displayUrl(url);
  const fail = (
    code: RemoteKeySetError['code'],
    message: string,
    extra: { status?: number; retryAfterMs?: number } = {},
  ) => new RemoteKeySetError(code, `${where}: ${message}`, { url: where, ...extra });
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') throw fail('INVALID_ARGUMENT', 'only https: URLs are fetched');
  if (!secure && !options.policy.allowInsecureLoopback) {
    throw fail(
      'INSECURE_URL',
      'http: is refused; use https:, or allowInsecureLoopback for a loopback sidecar or test',
    );
  }

  const deadline = startDeadline(options.timeoutMs);
  const timeout = () =>
    fail(
      'TIMEOUT',
      `the fetch did not finish within ${options.timeoutMs} ms (timeoutMs); nothing of it was used`,
    );
  try {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: readonly ResolvedAddress[];
    if (isIP(hostname)) {
      addresses = [{ address: hostname, family: isIP(hostname) === 6 ? 6 : 4 }];
    } else {
      const resolving = (options.resolve ?? defaultResolve)(hostname);
      resolving.catch(() => {});
      let aborted: (() => void) | undefined;
      const expiry = new Promise<never>((_, reject) => {
        aborted = () => reject(timeout());
        deadline.signal.addEventListener('abort', aborted, { once: true });
      });
      expiry.catch(() => {});
      try {
        addresses = await Promise.race([resolving, expiry]);
      } catch (error) {
        if (deadline.expired) throw timeout();
        throw fail(
          'ADDRESS_REFUSED',
          `the host name does not resolve (${(error as { code?: string }).code ?? 'error'})`,
        );
      } finally {
        deadline.signal.removeEventListener('abort', aborted!);
      }
    }
    if (addresses.length === 0) throw fail('ADDRESS_REFUSED', 'the host name resolves to no address');
    for (const { address } of addresses) {
      const kind = addressRefusal(address, options.policy);
      if (kind !== undefined) {
        throw fail(
          'ADDRESS_REFUSED',
          `the host resolves to a ${kind} address, which is refused (allowPrivateAddresses${kind === 'loopback' ? ' or allowInsecureLoopback' : ''} allows it; nothing was sent)`,
        );
      }
    }
    const { address, family } = addresses[0]!;
    if (!secure && !addresses.every((a) => isLoopback(a.address))) {
      throw fail(
        'INSECURE_URL',
        'http: is allowed only to a loopback address (allowInsecureLoopback); use https:',
      );
    }
    return await request(url, { ...options, address, family, hostname }, deadline.signal, fail, timeout);
  } finally {
    deadline.clear();
  }
}

function isLoopback(address: string): boolean {
  return (
    addressRefusal(address, { allowPrivateAddresses: false, allowInsecureLoopback: false }) === 'loopback'
  );
}

type Fail = (
  code: RemoteKeySetError['code'],
  message: string,
  extra?: { status?: number; retryAfterMs?: number },
) => RemoteKeySetError;

async function request(
  url: URL,
  o: BoundedFetchOptions & { address: string; family: 4 | 6; hostname: string },
  signal: AbortSignal,
  fail: Fail,
  timeout: () => RemoteKeySetError,
): Promise<BoundedResponse> {
  const secure = url.protocol === 'https:';
  const mod = process.getBuiltinModule(secure ? 'node:https' : 'node:http') as typeof import('node:https');
  return new Promise<BoundedResponse>((resolve, reject) => {
    let settled = false;
    const settle = (error: RemoteKeySetError | undefined, value?: BoundedResponse) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(value!);
    };
    const onAbort = () => settle(timeout());
    const headers: Record<string, string> = {
      accept: o.accept.join(', '),
      'accept-encoding': 'identity',
      'user-agent': 'phlow-keys-remote-jwks',
    };
    if (o.ifNoneMatch !== undefined) headers['if-none-match'] = o.ifNoneMatch;
    const req = mod.request({
      protocol: url.protocol,
      hostname: o.hostname,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers,
      agent: false,
      // The checked address, and no other: Node asks this hook instead of DNS.
      lookup: ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
        if (opts?.all) cb(null, [{ address: o.address, family: o.family }]);
        else cb(null, o.address, o.family);
      }) as never,
      ...(secure && isIP(o.hostname) === 0 ? { servername: o.hostname } : {}),
      ...(o.ca !== undefined ? { ca: o.ca as string | string[] } : {}),
    });
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    req.on('error', (error: NodeJS.ErrnoException) => {
      settle(
        signal.aborted ? timeout() : fail('FETCH_FAILED', `the request failed (${error.code ?? 'error'})`),
      );
    });
    req.on('response', (res) => {
      res.on('error', () =>
        settle(signal.aborted ? timeout() : fail('FETCH_FAILED', 'the response broke off')),
      );
      const status = res.statusCode ?? 0;
      if (status === 304 && o.ifNoneMatch !== undefined) {
        res.resume();
        settle(undefined, { status: 304, headers: toHeaders(res), body: new Uint8Array(0) });
        return;
      }
      if (status >= 300 && status < 400) {
        settle(
          fail(
            'REDIRECT_REFUSED',
            `the server answered ${status} (a redirect); redirects are not followed: configure the final URL`,
            { status },
          ),
        );
        return;
      }
      if (status !== 200) {
        const wait =
          status === 429 || status === 503 ? retryAfterMs(res.headers['retry-after'], Date.now()) : undefined;
        settle(
          fail('FETCH_FAILED', `the server answered ${status}`, {
            status,
            ...(wait !== undefined ? { retryAfterMs: wait } : {}),
          }),
        );
        return;
      }
      const encoding = (res.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      if (encoding !== 'identity') {
        settle(
          fail(
            'BAD_RESPONSE',
            'the body is compressed (Content-Encoding), which is refused: serve it uncompressed',
            { status },
          ),
        );
        return;
      }
      const type = mediaType(res.headers['content-type']);
      if (!o.accept.includes(type)) {
        settle(
          fail('BAD_RESPONSE', `the media type is not one of ${o.accept.join(', ')} (Content-Type)`, {
            status,
          }),
        );
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        settle(
          fail('TOO_LARGE', `the body is over ${o.maxBytes} bytes (maxBytes); it was not read`, { status }),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > o.maxBytes) {
          settle(
            fail('TOO_LARGE', `the body is over ${o.maxBytes} bytes (maxBytes); the rest was not read`, {
              status,
            }),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        settle(undefined, {
          status: 200,
          headers: toHeaders(res),
          body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
        });
      });
    });
    req.end();
  });
}
