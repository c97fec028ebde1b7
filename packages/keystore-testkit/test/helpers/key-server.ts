// The loopback key server the example HTTP store talks to (test/helpers/http-key-store.mjs): keys in a Map,
// every request needs `authorization: Bearer <token>`.
import { type LoopbackServer, listenOnLoopback } from '../../src/transport/http.js';

export function startKeyServer(token: string): Promise<LoopbackServer> {
  const keys = new Map<string, string>();
  return listenOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(403).end();
      const id = decodeURIComponent((req.url ?? '').replace(/^\/keys\//, ''));
      if (req.method === 'PUT') keys.set(id, Buffer.concat(chunks).toString('utf8'));
      if (req.method === 'DELETE') keys.delete(id);
      const body = req.method === 'GET' ? (keys.get(id) ?? 'null') : '{}';
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
}
