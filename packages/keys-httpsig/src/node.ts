/**
 * Node adapters: an IncomingMessage as a fetch Request (body read with a bound) for the verifier, and the
 * directory handler as an `http.createServer` listener.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpSigError } from './errors.js';
import { checkedMaxBodyBytes, DEFAULT_MAX_BODY_BYTES } from './message.js';

/**
 * The URL of a request target, on `origin` whatever the target says. Only origin-form (`/path?query`) is
 * taken: `new URL(target, origin)` would let the sender choose the host (`GET http://other.example/`,
 * `GET //other.example/`, `GET /\\other.example/`), and with it the `@authority` and `@target-uri` the verifier
 * checks, so a request signed for another origin would verify here.
 */
function originFormUrl(target: string | undefined, origin: string): URL {
  const path = target ?? '/';
  if (!path.startsWith('/')) {
    throw new HttpSigError(
      'MALFORMED',
      'the request target is not origin-form (/path?query): absolute-form and authority-form targets are refused',
    );
  }
  const url = new URL(origin);
  const query = path.indexOf('?');
  // The setters keep the target inside the path and query: a leading `//` stays a path, not a host.
  url.pathname = query < 0 ? path : path.slice(0, query);
  url.search = query < 0 ? '' : path.slice(query);
  return url;
}

/** A fetch Request of `req` (its body read, at most `maxBodyBytes`). `origin` is the server's own, e.g. `https://api.example`. */
export async function requestOfIncoming(
  req: IncomingMessage,
  origin: string,
  maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
): Promise<Request> {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  checkedMaxBodyBytes(maxBodyBytes);
  const method = req.method ?? 'GET';
  // Read for every method: a GET or HEAD body left unread would reach the application unverified.
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBodyBytes) {
        req.destroy();
        throw new HttpSigError('MALFORMED', `the body is over ${maxBodyBytes} bytes (maxBodyBytes)`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof HttpSigError) throw error;
    // The client went away mid-body (or the server's requestTimeout ended it).
    throw new HttpSigError('MALFORMED', 'the request body broke off before its end', { cause: error });
  }
  const body = new Uint8Array(Buffer.concat(chunks));
  if ((method === 'GET' || method === 'HEAD') && body.byteLength > 0) {
    // A fetch Request cannot carry it, so it could not be checked against Content-Digest.
    throw new HttpSigError('MALFORMED', `a ${method} request with a body is refused`);
  }
  return new Request(originFormUrl(req.url, origin), {
    method,
    headers,
    ...(body.byteLength > 0 ? { body } : {}),
  });
}

/** Writes a fetch Response to a Node ServerResponse. */
export async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined);
}

/** A Node listener of a fetch-style handler (e.g. createDirectoryHandler). `origin`: the server's own origin. */
export function toNodeListener(
  handler: (request: Request) => Promise<Response>,
  origin: string,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    requestOfIncoming(req, origin, 0)
      .then(handler)
      .then((response) => writeResponse(response, res))
      .catch(() => {
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
  };
}
