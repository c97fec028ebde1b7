/**
 * The JWKS handler for Node's `http` server and Express: `(req, res, next?)`. It turns the incoming request
 * into a web `Request` (method and If-None-Match; a JWKS request has no body) and writes the `Response`
 * back, so both paths share one implementation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createJwksHandler, type JwksHandler, type JwksHandlerOptions } from './jwks-handler.js';
import type { JwksKeys } from './keys.js';

export type NodeJwksHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** Adapts a web-standard handler to `(req, res, next?)`. Errors go to `next` when given, else a 500. */
export function toNodeHandler(handler: JwksHandler): NodeJwksHandler {
  return (req, res, next) => {
    let request: Request;
    try {
      // Only the method and If-None-Match matter to a JWKS handler. The URL is not parsed: an odd request
      // target must not throw out of a request listener (that would take the process down).
      const headers = new Headers();
      const ifNoneMatch = req.headers['if-none-match'];
      if (typeof ifNoneMatch === 'string') headers.set('if-none-match', ifNoneMatch);
      request = new Request('http://localhost/.well-known/jwks.json', {
        method: req.method ?? 'GET',
        headers,
      });
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad request');
      return;
    }
    handler(request)
      .then(async (response) => {
        const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(body);
      })
      .catch((error: unknown) => {
        if (next) return next(error);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('internal error');
      });
  };
}

/** createJwksHandler for Node's http server and Express: `app.get('/.well-known/jwks.json', handler)`. */
export function createJwksNodeHandler(keys: JwksKeys, options: JwksHandlerOptions = {}): NodeJwksHandler {
  return toNodeHandler(createJwksHandler(keys, options));
}
