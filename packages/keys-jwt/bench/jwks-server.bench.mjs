// The JWK Set over node:http (`pnpm bench`, after a build): requests per second and server CPU per request
// of createJwksNodeHandler beside a server that writes a fixed string of the same bytes (the anchor), and the
// former Node path (the web handler through toNodeHandler: a web Request and Response per request). Each
// server is its own process; this process is the client, 16 keep-alive connections, rounds interleaved
// (fixed, ours, web, fixed, ...) so load swings hit all alike. Goal: ≥ 80% of the fixed string's req/s.
// Asserts nothing. JWKS_BENCH_ROUNDS (default 8) and JWKS_BENCH_REQUESTS per round (default 3000).
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTarget } from '@phlow/bench';

const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.env.JWKS_BENCH_ROUNDS ?? 8);
const perRound = Number(process.env.JWKS_BENCH_REQUESTS ?? 3000);
const CONNECTIONS = 16;

async function start(kind) {
  const child = fork(join(here, 'jwks-server.mjs'), [], {
    env: { ...process.env, JWKS_SERVER: kind },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = (type) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m.type === type) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      if (type !== 'ready') child.send({ type });
    });
  const { port, bytes } = await ask('ready');
  return { kind, port, bytes, cpu: async () => (await ask('cpu')).us, stop: () => child.kill() };
}

function load(port, total) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let sent = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/.well-known/jwks.json', agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        res.on('data', () => {});
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  const worker = async () => {
    while (sent < total) {
      sent++;
      await one();
    }
  };
  return Promise.all(Array.from({ length: CONNECTIONS }, worker)).finally(() => agent.destroy());
}

const servers = [await start('fixed'), await start('ours'), await start('web')];
const results = servers.map(() => ({ rps: [], cpu: [], ratio: [] }));
try {
  for (const s of servers) await load(s.port, 500); // warm: JIT, the built set
  for (let r = 0; r < rounds; r++) {
    const got = [];
    for (let k = 0; k < servers.length; k++) {
      const i = (k + r) % servers.length;
      const s = servers[i];
      const cpuBefore = await s.cpu();
      const start = process.hrtime.bigint();
      await load(s.port, perRound);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const cpuUs = (await s.cpu()) - cpuBefore;
      got[i] = { rps: perRound / seconds, cpu: cpuUs / perRound };
    }
    got.forEach((g, i) => {
      results[i].rps.push(g.rps);
      results[i].cpu.push(g.cpu);
      results[i].ratio.push(g.rps / got[0].rps);
    });
  }
} finally {
  for (const s of servers) s.stop();
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const names = {
  fixed: 'fixed string, same bytes (anchor)',
  ours: 'createJwksNodeHandler',
  web: 'toNodeHandler(createJwksHandler) (web objects per request)',
};
console.log(
  `\nJWK Set over node:http, 100 ids (${servers[0].bytes.toLocaleString('en-US')} bytes), ${CONNECTIONS} keep-alive connections, ${rounds} interleaved rounds of ${perRound} requests`,
);
console.table(
  servers.map((s, i) => ({
    server: names[s.kind],
    'requests/s': Math.round(median(results[i].rps)).toLocaleString('en-US'),
    'server CPU per request': `${median(results[i].cpu).toFixed(1)} µs`,
    'req/s vs anchor': i === 0 ? 'anchor' : `${(median(results[i].ratio) * 100).toFixed(0)}%`,
  })),
);
const share = median(results[1].ratio);
printTarget(
  'createJwksNodeHandler ≥ 80% of the fixed string’s req/s',
  share >= 0.8,
  `${(share * 100).toFixed(0)}%`,
);
