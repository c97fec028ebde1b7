/**
 * The loopback HTTP servers a network store's tests put in front of (or in place of) its real server: pass a
 * request on, answer like a slow server that sends one byte a second and never ends, listen and close. Plain
 * node:http, no vitest: bench scripts and child processes import it too (`@phlow/keystore-testkit/transport`).
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  request,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** Sends `req` on to `upstream` (an http:// URL) and pipes the answer back; a failed upstream cuts the client. */
export function forwardTo(upstream: string, req: IncomingMessage, res: ServerResponse): void {
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

/** What trickleAnswer reports about one answer: each byte it sent, and the client hanging up. */
export interface TrickleEvents {
  onByte?(): void;
  onClose?(): void;
}

/**
 * Answers 200 with a body announced as 100 000 bytes, then sends one byte a second and never ends: the slow
 * server an idle timeout never catches, which only a total deadline stops.
 */
export function trickleAnswer(res: ServerResponse, contentType: string, events: TrickleEvents = {}): void {
  res.writeHead(200, { 'content-type': contentType, 'content-length': '100000' });
  res.write('{');
  events.onByte?.();
  const timer = setInterval(() => {
    res.write(' ');
    events.onByte?.();
  }, 1000);
  res.on('close', () => {
    clearInterval(timer);
    events.onClose?.();
  });
}

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  readonly address: string;
  /** Stops listening and ends open (trickling) answers. */
  close(): Promise<void>;
}

/** Starts an HTTP server with `handler` on a free 127.0.0.1 port. */
export async function listenOnLoopback(handler: RequestListener): Promise<LoopbackServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TrickleServer extends LoopbackServer {
  /** While on, every request is answered 200 without reaching upstream, one byte of body a second, never ending. */
  trickle(on: boolean): void;
}

/**
 * A pass-through server in front of `upstream` that, while trickling, answers every request by itself with
 * trickleAnswer (`contentType` as the real server would send it) without reaching `upstream`.
 */
export async function startTrickleServer(upstream: string, contentType: string): Promise<TrickleServer> {
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

/** Counts of what a trickling endpoint saw, for tests that bound a store by events rather than by time. */
export interface TrickleCounts {
  /** Requests answered (each with a trickle). */
  readonly requests: number;
  /** Trickled answers the client hung up on. */
  readonly closed: number;
  /** Bytes of body sent, over every answer, one a second after the first. */
  readonly bytes: number;
  /** Answers cut by the endpoint itself because the client was still reading past `maxBytes`. */
  readonly overran: number;
}

export interface TricklingEndpoint extends LoopbackServer {
  /** What was seen since the last `reset`. */
  counts(): TrickleCounts;
  reset(): void;
}

/**
 * An endpoint that answers every request with trickleAnswer and nothing else. A client still reading after
 * `maxBytes` bytes in all (one a second: far past any sane deadline) is cut off, and counted in `overran`,
 * so a store without a total deadline makes a test fail by count instead of hanging it.
 */
export async function startTricklingEndpoint(
  contentType: string,
  { maxBytes = 15 }: { readonly maxBytes?: number } = {},
): Promise<TricklingEndpoint> {
  let counts = { requests: 0, closed: 0, bytes: 0, overran: 0 };
  const open = new Set<ServerResponse>();
  const cut = new WeakSet<ServerResponse>();
  const server = await listenOnLoopback((req, res) => {
    req.resume();
    const seen = counts;
    seen.requests++;
    open.add(res);
    trickleAnswer(res, contentType, {
      onByte() {
        seen.bytes++;
        if (seen.bytes > maxBytes) {
          seen.overran++;
          for (const r of open) {
            cut.add(r);
            r.socket?.destroy();
          }
        }
      },
      onClose() {
        open.delete(res);
        if (!cut.has(res)) seen.closed++;
      },
    });
  });
  return {
    ...server,
    counts: () => ({ ...counts }),
    reset() {
      counts = { requests: 0, closed: 0, bytes: 0, overran: 0 };
    },
  };
}
