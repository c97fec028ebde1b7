// A pass-through HTTP proxy in front of Vault that counts the requests it forwards, so the bench can show how
// many HTTP requests reach Vault (not how many store calls were made).
import { createServer, request } from 'node:http';

/** @param {string} target Vault's address. */
export async function startCountingProxy(target) {
  const upstream = new URL(target);
  const counts = new Map();
  const server = createServer((req, res) => {
    const key = `${req.method} ${new URL(req.url ?? '/', 'http://p').pathname}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `http://127.0.0.1:${server.address().port}`,
    /** Requests whose "METHOD /v1/path" starts with `prefix`. */
    count: (prefix) => [...counts].filter(([k]) => k.startsWith(prefix)).reduce((n, [, c]) => n + c, 0),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
