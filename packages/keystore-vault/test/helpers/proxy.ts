/**
 * A small HTTP proxy in front of the test Vault: it counts and records requests, and injects the failures a
 * real server will not produce on demand (a 502, a connection dropped after the request was processed).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { listenOnLoopback, trickleAnswer } from '@phlow/test-support/http';

export interface ProxiedRequest {
  readonly method: string;
  /** API path without `/v1/` and without the query string. */
  readonly path: string;
  readonly token: string | undefined;
  readonly namespace: string | undefined;
}

export interface VaultProxy {
  readonly address: string;
  readonly requests: ProxiedRequest[];
  /** Requests seen whose path starts with `prefix` (and method, if given). */
  count(prefix: string, method?: string): number;
  /** The next `count` requests are answered with `status` without reaching Vault. */
  failNext(count: number, status?: number): void;
  /** The next request matching is sent to Vault, then the client's connection is cut before the answer. */
  dropAnswerOnce(match: (r: ProxiedRequest) => boolean): void;
  /** While on, every request is answered 200 without reaching Vault, one byte of body a second, never ending. */
  trickle(on: boolean): void;
  /** The next request matching is sent to Vault at once, and its answer passed on `ms` later. */
  delayAnswerOnce(match: (r: ProxiedRequest) => boolean, ms: number): void;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<VaultProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let failing = { count: 0, status: 502 };
  let drop: ((r: ProxiedRequest) => boolean) | undefined;
  let delay: { match: (r: ProxiedRequest) => boolean; ms: number } | undefined;
  let trickling = false;

  const server = await listenOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const seen: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname.replace(/^\/v1\//, ''),
        token: req.headers['x-vault-token'] as string | undefined,
        namespace: req.headers['x-vault-namespace'] as string | undefined,
      };
      requests.push(seen);
      if (failing.count > 0) {
        failing.count--;
        res.writeHead(failing.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: ['injected by the test proxy'] }));
        return;
      }
      if (trickling) {
        trickleAnswer(res, 'application/json');
        return;
      }
      const cut = drop?.(seen) === true;
      if (cut) drop = undefined;
      const wait = delay?.match(seen) === true ? delay.ms : 0;
      if (wait) delay = undefined;
      const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            if (cut) {
              req.socket.destroy();
              return;
            }
            setTimeout(() => {
              if (res.destroyed) return;
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(body));
            }, wait);
          });
        },
      );
      forward.on('error', () => req.socket.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });

  return {
    address: server.address,
    requests,
    count: (prefix, method) =>
      requests.filter((r) => r.path.startsWith(prefix) && (!method || r.method === method)).length,
    failNext(count, status = 502) {
      failing = { count, status };
    },
    dropAnswerOnce(match) {
      drop = match;
    },
    trickle(on) {
      trickling = on;
    },
    delayAnswerOnce(match, ms) {
      delay = { match, ms };
    },
    close: server.close,
  };
}
