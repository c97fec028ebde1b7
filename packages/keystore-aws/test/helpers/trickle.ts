/**
 * A loopback HTTP server in front of moto that passes requests on, or, while trickling, answers every request
 * by itself: 200, then one byte of body a second, never ending (the slow server an idle timeout never catches).
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TrickleServer {
  readonly endpoint: string;
  trickle(on: boolean): void;
  close(): Promise<void>;
}

export async function startTrickleServer(upstream: string): Promise<TrickleServer> {
  const target = new URL(upstream);
  let trickling = false;
  const server = createServer((req, res) => {
    if (trickling) {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': '100000' });
      res.write('{');
      const timer = setInterval(() => res.write(' '), 1000);
      res.on('close', () => clearInterval(timer));
      return;
    }
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => req.socket.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    trickle(on) {
      trickling = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
