/**
 * Node adapters: an IncomingMessage as a fetch Request (body read with a bound) for the verifier, and the
 * directory handler as an `http.createServer` listener.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpSigError } from './errors.js';
import { DEFAULT_MAX_BODY_BYTES } from './message.js';

/** A fetch Request of `req` (its body read, at most `maxBodyBytes`). `origin` is the server's own, e.g. `https://api.example`. */
export async function requestOfIncoming(
  req: IncomingMessage,
  origin: string,
  maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
): Promise<Request> {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const method = req.method ?? 'GET';
  let body: Uint8Array | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBodyBytes) {
        req.destroy();
        throw new HttpSigError('MALFORMED', `the body is over ${maxBodyBytes} bytes (maxBodyBytes)`);
      }
      chunks.push(chunk as Buffer);
    }
    body = new Uint8Array(Buffer.concat(chunks));
  }
  return new Request(new URL(req.url ?? '/', origin), {
    method,
    headers,
    ...(body && body.byteLength > 0 ? { body } : {}),
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
