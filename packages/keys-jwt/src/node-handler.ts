/**
 * The JWKS handler for Node's `http` server and Express: `(req, res, next?)`. It answers from the prepared
 * reply of createJwksResponder (the serialised set as one Buffer, its headers, the 304) and writes it
 * straight to the `ServerResponse`: no web `Request`, `Response` or body stream per request, which cost a
 * Node server 2.5x the requests per second of serving a fixed string. The web handler (createJwksHandler)
 * answers from the same replies, so both paths send the same status, headers, ETag and body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createJwksResponder,
  type JwksHandler,
  type JwksHandlerOptions,
  type JwksReply,
} from './jwks-handler.js';
import type { JwksKeys } from './keys.js';

export type NodeJwksHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/**
 * Methods a web `Request` cannot carry (Fetch's forbidden methods): both handlers answer them 400, as the
 * web path always has, so the two paths cannot differ.
 */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

function badRequest(res: ServerResponse): void {
  res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad request');
}

function internalError(res: ServerResponse, error: unknown, next?: (error?: unknown) => void): void {
  if (next) {
    next(error);
    return;
  }
  if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
  res.end('internal error');
}

function write(res: ServerResponse, reply: JwksReply): void {
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}

/**
 * Adapts a web-standard handler to `(req, res, next?)`. Errors go to `next` when given, else a 500. For
 * createJwksHandler use createJwksNodeHandler, which skips the web objects.
 */
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
      badRequest(res);
      return;
    }
    handler(request)
      .then(async (response) => {
        const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(body);
      })
      .catch((error: unknown) => internalError(res, error, next));
  };
}

/** createJwksHandler for Node's http server and Express: `app.get('/.well-known/jwks.json', handler)`. */
export function createJwksNodeHandler(keys: JwksKeys, options: JwksHandlerOptions = {}): NodeJwksHandler {
  const respond = createJwksResponder(keys, options);
  return (req, res, next) => {
    const method = req.method ?? 'GET';
    if (FORBIDDEN_METHODS.has(method)) {
      badRequest(res);
      return;
    }
    const ifNoneMatch = req.headers['if-none-match'];
    // Nothing may throw out of a request listener (that would take the process down).
    try {
      const reply = respond(method, typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined);
      if (!(reply instanceof Promise)) {
        write(res, reply);
        return;
      }
      reply.then((ready) => write(res, ready)).catch((error: unknown) => internalError(res, error, next));
    } catch (error) {
      internalError(res, error, next);
    }
  };
}
