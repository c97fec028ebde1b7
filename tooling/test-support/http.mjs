// The pieces of the loopback HTTP servers the adapters' tests and benches put in front of a real server
// (Vault, moto): pass a request on, answer like a slow server sending one byte a second, listen and close.

import { createServer, request } from 'node:http';

/** Sends `req` on to `upstream` (an http:// URL) and pipes the answer back; a failed upstream cuts the client. */
export function forwardTo(upstream, req, res) {
  const target = new URL(upstream);
  const forward = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on('error', () => req.socket.destroy());
  req.pipe(forward);
}

/**
 * Answers 200 with a body announced as 100 000 bytes, then sends one byte a second and never ends: the slow
 * server an idle timeout never catches, which only a total deadline stops.
 */
export function trickleAnswer(res, contentType) {
  res.writeHead(200, { 'content-type': contentType, 'content-length': '100000' });
  res.write('{');
  const timer = setInterval(() => res.write(' '), 1000);
  res.on('close', () => clearInterval(timer));
}

/** Starts an HTTP server with `handler` on a free 127.0.0.1 port. `close` also ends open (trickling) answers. */
export async function listenOnLoopback(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A pass-through server in front of `upstream` that, while trickling, answers every request by itself with
 * trickleAnswer (`contentType` as the real server would send it) without reaching `upstream`.
 */
export async function startTrickleServer(upstream, contentType) {
  let trickling = false;
  const server = await listenOnLoopback((req, res) => {
    if (!trickling) return forwardTo(upstream, req, res);
    req.resume();
    trickleAnswer(res, contentType);
  });
  return {
    ...server,
    trickle(on) {
      trickling = on;
    },
  };
}
