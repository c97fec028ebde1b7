// A pass-through HTTP proxy in front of Vault that counts the requests it forwards, so the bench can show how
// many HTTP requests reach Vault (not how many store calls were made).
import { forwardTo, listenOnLoopback } from '@phlow/test-support/http';

/** @param {string} target Vault's address. */
export async function startCountingProxy(target) {
  const counts = new Map();
  const server = await listenOnLoopback((req, res) => {
    const key = `${req.method} ${new URL(req.url ?? '/', 'http://p').pathname}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    forwardTo(target, req, res);
  });
  return {
    address: server.address,
    /** Requests whose "METHOD /v1/path" starts with `prefix`. */
    count: (prefix) => [...counts].filter(([k]) => k.startsWith(prefix)).reduce((n, [, c]) => n + c, 0),
    close: server.close,
  };
}
