// The fleet scenario shared by test/fleet.test.ts (short settings, counts) and bench/fleet.bench.mjs (every
// setting at its default, times): an issuer process serving its JWK Set over real HTTP, `rotate` from a
// separate process, and a jose createRemoteJWKSet verifier here, in the parent.
import { execFile, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

/** Starts an issuer child with `env`; resolves once it serves its JWK Set. */
export async function startIssuer(env) {
  const child = fork(join(here, 'issuer.mjs'), [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = [];
  let ready;
  const started = new Promise((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`the issuer exited with ${code} before it was ready`)));
  });
  child.on('message', (message) => {
    if (message.type === 'ready') ready(message.url);
    else waiting.shift()?.(message);
  });
  const url = await started;
  const ask = (message) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      child.send(message);
    });
  return {
    url: new URL(url),
    /** { token, kid, rechecks, jwksRequests } or { error } */
    sign: (id) => ask({ type: 'sign', id }),
    stats: () => ask({ type: 'stats' }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.disconnect();
      }),
  };
}

/** Runs `rotate <id> [--now]` in its own process; resolves with { kid, previousKid, activatesAt }. */
export async function rotateElsewhere(env, id, now) {
  const { stdout } = await run(process.execPath, [join(here, 'rotate.mjs'), id, ...(now ? ['--now'] : [])], {
    env,
  });
  return JSON.parse(stdout);
}

/** A jose remote verifier of the issuer's tokens: true if accepted, false if refused. */
export function remoteVerifier(url, options = {}) {
  const jwks = createRemoteJWKSet(url, options);
  return async (token, issuer) => {
    try {
      await jwtVerify(token, jwks, { issuer, audience: 'fleet-test' });
      return true;
    } catch {
      return false;
    }
  };
}
