/**
 * The JWKS handler for Node's `http` server and Express: `(req, res, next?)`. It turns the incoming request
 * into a web `Request` (method, URL and headers; a JWKS request has no body) and writes the `Response` back,
 * so both paths share one implementation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createJwksHandler, type JwksHandler, type JwksHandlerOptions } from './jwks-handler.js';
import type { JwtKeys } from './keys.js';

export type NodeJwksHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** Adapts a web-standard handler to `(req, res, next?)`. Errors go to `next` when given, else a 500. */
export function toNodeHandler(handler: JwksHandler): NodeJwksHandler {
  return (req, res, next) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
      else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    }
    // Only the path matters to the handler; the host is not trusted for anything.
    const request = new Request(new URL(req.url ?? '/', 'http://localhost'), {
      method: req.method ?? 'GET',
      headers,
    });
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
export function createJwksNodeHandler(keys: JwtKeys, options: JwksHandlerOptions = {}): NodeJwksHandler {
  return toNodeHandler(createJwksHandler(keys, options));
}
