// verifyJwt with a remote JWK Set: the same codes as store verification (KID_UNKNOWN, SIGNATURE_INVALID,
// ALG_REFUSED, ...), one audit event per verification on the set's onEvent, an outage as core's UNAVAILABLE,
// and a fleet case: a server process rotates its set and this process's verifier picks the new kid up with
// one refetch, counted by the server.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditSinkFromEnv, isKeyStoreError } from '@phlow/keys-core';
import { testClock } from '@phlow/test-support/clock';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createJwtVerifier,
  createRemoteKeySet,
  isJwtError,
  type RemoteKeySetEvent,
  verifyJwt,
} from '../src/index.js';
import { jwks, newKey, serversClosedAfterEach, type TestKey } from './remote-helpers.js';

const serve = serversClosedAfterEach();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

const ISSUER = 'https://issuer.test';

/**
 * The child's first reply of `type` to `message` (sent unless undefined). Rejects if the child exits first,
 * so a crashed child fails the test at once instead of leaving it waiting for a reply that cannot come.
 */
function ask<T>(child: ChildProcess, message: object | undefined, type: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (reply: { type: string }) => {
      if (reply.type !== type) return;
      done();
      resolve(reply as T);
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      reject(new Error(`the child exited (${code ?? signal}) before its ${type} reply`));
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    if (message) child.send(message);
  });
}

function token(
  key: TestKey,
  alg = 'EdDSA',
  /** '' for a token without kid. */
  kid = key.kid,
  claims: Record<string, unknown> = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isJwtError(error) || isKeyStoreError(error)) return error.code;
    throw error;
  }
  return 'valid';
}

describe('verifyJwt(remoteKeySet, token, options)', () => {
  it('verifies against the set with the store codes and one audit event per call', async () => {
    const ed = newKey();
    const ec = newKey('ec');
    const stranger = newKey();
    const server = await serve(jwks(() => ({ keys: [ed.publicJwk, ec.publicJwk] })));
    const events: RemoteKeySetEvent[] = [];
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      onEvent: (e) => events.push(e),
    });

    const ok = await verifyJwt(set, await token(ed), { issuer: ISSUER });
    expect(ok.kid).toBe(ed.kid);
    expect(ok.keyId).toBe('127.0.0.1');
    expect((await verifyJwt(set, await token(ec, 'ES256'), { issuer: ISSUER })).kid).toBe(ec.kid);
    // A remote set's tokens name their key: one without kid is refused, even when a key of the set signed it.
    expect(await codeOf(verifyJwt(set, await token(ed, 'EdDSA', ''), { issuer: ISSUER }))).toBe(
      'KID_UNKNOWN',
    );

    expect(await codeOf(verifyJwt(set, await token(stranger), { issuer: ISSUER }))).toBe('KID_UNKNOWN');
    expect(await codeOf(verifyJwt(set, await token(stranger, 'EdDSA', ed.kid), { issuer: ISSUER }))).toBe(
      'SIGNATURE_INVALID',
    );
    expect(await codeOf(verifyJwt(set, await token(ed, 'EdDSA', ec.kid), { issuer: ISSUER }))).toBe(
      'ALG_MISMATCH',
    );
    // Without an expected issuer, a token whose iss is not the set's host is refused.
    expect(await codeOf(verifyJwt(set, await token(ed)))).toBe('ISSUER_MISMATCH');
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: ed.kid })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await codeOf(verifyJwt(set, hs, { issuer: ISSUER }))).toBe('ALG_REFUSED');

    const audits = events.filter((e) => e.type === 'audit');
    expect(audits.map((e) => [e.operation, e.storeType, e.valid, e.errorCode ?? null])).toEqual([
      ['verify', 'remote-jwks', true, null],
      ['verify', 'remote-jwks', true, null],
      ['verify', 'remote-jwks', false, 'KID_UNKNOWN'],
      ['verify', 'remote-jwks', false, 'KID_UNKNOWN'],
      ['verify', 'remote-jwks', false, 'SIGNATURE_INVALID'],
      ['verify', 'remote-jwks', false, 'ALG_MISMATCH'],
      ['verify', 'remote-jwks', false, 'ISSUER_MISMATCH'],
      ['verify', 'remote-jwks', false, 'ALG_REFUSED'],
    ]);
    expect(audits[0]!.kid).toBe(ed.kid);
  });

  it('refuses a token without kid before any fetch or verification (0 keys handed out, whatever the set holds)', async () => {
    const many = Array.from({ length: 20 }, () => newKey());
    const server = await serve(jwks(() => ({ keys: many.map((k) => k.publicJwk) })));
    const set = createRemoteKeySet(server.url(), { allowInsecureLoopback: true });
    // The same set, counting every key it hands out (a verification needs one).
    let keysAsked = 0;
    const counted = {
      ...set,
      url: set.url,
      keys: async () => {
        const keys = await set.keys();
        keysAsked += keys.length;
        return keys;
      },
      getKey: async (kid: string) => {
        keysAsked++;
        return set.getKey(kid);
      },
    };
    const forged = await token(newKey(), 'EdDSA', '');
    expect(await codeOf(verifyJwt(counted, forged, { issuer: ISSUER }))).toBe('KID_UNKNOWN');
    expect(keysAsked).toBe(0);
    expect(server.count()).toBe(0);
    // The same forged token with a kid of the set costs one key (and one verification).
    expect(
      await codeOf(verifyJwt(counted, await token(newKey(), 'EdDSA', many[3]!.kid), { issuer: ISSUER })),
    ).toBe('SIGNATURE_INVALID');
    expect(keysAsked).toBeGreaterThan(0);
    set.close();
  });

  it('createJwtVerifier(set, { cache }) verifies and caches; a cached token is dropped once its key leaves the set', async () => {
    const a = newKey();
    const b = newKey();
    let served = [a, b];
    const server = await serve(
      jwks(() => ({ keys: served.map((k) => k.publicJwk) }), { 'cache-control': 'max-age=60' }),
    );
    const time = testClock();
    const set = createRemoteKeySet(server.url(), { allowInsecureLoopback: true, now: time.now });
    const verifier = createJwtVerifier(set, { issuer: ISSUER, cache: true });
    const good = await token(a);
    expect((await verifier.verify(good)).kid).toBe(a.kid);
    expect((await verifier.verify(good)).keyId).toBe('127.0.0.1');
    expect(verifier.stats).toMatchObject({ hits: 1, misses: 1, size: 1 });
    // Kid-less tokens are refused here too.
    expect(await codeOf(verifier.verify(await token(a, 'EdDSA', '')))).toBe('KID_UNKNOWN');
    // The set stops serving a: once its max-age is spent, the cached token is no longer accepted.
    served = [b];
    time.advance(61_000);
    expect(await codeOf(verifier.verify(good))).toBe('KID_UNKNOWN');
    expect(verifier.stats).toMatchObject({ hits: 1, revoked: 1 });
    verifier.close();
    set.close();
  });

  it('writes its audit events to PHLOW_KEY_AUDIT_LOG, without the token', async () => {
    const ed = newKey();
    const server = await serve(jwks(() => ({ keys: [ed.publicJwk] })));
    const dir = mkdtempSync(join(tmpdir(), 'phlow-remote-audit-'));
    const log = join(dir, 'audit.log');
    const before = process.env.PHLOW_KEY_AUDIT_LOG;
    process.env.PHLOW_KEY_AUDIT_LOG = log;
    try {
      const set = createRemoteKeySet(server.url(), { allowInsecureLoopback: true });
      const good = await token(ed);
      await verifyJwt(set, good, { issuer: ISSUER });
      expect(await codeOf(verifyJwt(set, await token(newKey()), { issuer: ISSUER }))).toBe('KID_UNKNOWN');
      auditSinkFromEnv(process.env)?.flush();
      const text = readFileSync(log, 'utf8');
      const lines = text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines.map((l) => [l.operation, l.storeType, l.valid, l.errorCode ?? null])).toEqual([
        ['verify', 'remote-jwks', true, null],
        ['verify', 'remote-jwks', false, 'KID_UNKNOWN'],
      ]);
      expect(text).not.toContain(good.split('.')[2]);
    } finally {
      auditSinkFromEnv(process.env)?.close();
      if (before === undefined) delete process.env.PHLOW_KEY_AUDIT_LOG;
      else process.env.PHLOW_KEY_AUDIT_LOG = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers an unreachable set with nothing cached as UNAVAILABLE (an outage, not a bad token)', async () => {
    const server = await serve((_req, res) => res.writeHead(503).end());
    const set = createRemoteKeySet(server.url(), { allowInsecureLoopback: true });
    const ed = newKey();
    try {
      await verifyJwt(set, await token(ed), { issuer: ISSUER });
      expect.unreachable();
    } catch (error) {
      expect(isKeyStoreError(error, 'UNAVAILABLE')).toBe(true);
      expect((error as Error).cause).toMatchObject({
        name: 'RemoteKeySetError',
        code: 'FETCH_FAILED',
        status: 503,
      });
    }
  });

  it('a server process rotates its set; this process verifies the new kid after one refetch', async () => {
    const child = fork(fileURLToPath(new URL('./remote-fleet/jwks-server.mjs', import.meta.url)), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const { port } = await ask<{ port: number }>(child, undefined, 'ready');
    const c = testClock();
    const set = createRemoteKeySet(`http://127.0.0.1:${port}/jwks`, {
      allowInsecureLoopback: true,
      now: c.now,
      cooldownMs: 30_000,
    });
    const first = await ask<{ token: string; kid: string }>(child, { type: 'sign' }, 'token');
    expect((await verifyJwt(set, first.token, { issuer: ISSUER })).kid).toBe(first.kid);

    const { kid } = await ask<{ kid: string }>(child, { type: 'rotate' }, 'rotated');
    const second = await ask<{ token: string; kid: string }>(child, { type: 'sign' }, 'token');
    expect(second.kid).toBe(kid);
    // Within the cooldown of the first fetch the new kid is unknown, and nothing is fetched for it.
    expect(await codeOf(verifyJwt(set, second.token, { issuer: ISSUER }))).toBe('KID_UNKNOWN');
    expect((await ask<{ fetches: number }>(child, { type: 'count' }, 'count')).fetches).toBe(1);
    c.advance(30_000);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => verifyJwt(set, second.token, { issuer: ISSUER })),
    );
    expect(results.every((r) => r.kid === kid)).toBe(true);
    expect((await ask<{ fetches: number }>(child, { type: 'count' }, 'count')).fetches).toBe(2);
    // The old key still verifies (still published), from the same fetch.
    expect((await verifyJwt(set, first.token, { issuer: ISSUER })).kid).toBe(first.kid);
    expect((await ask<{ fetches: number }>(child, { type: 'count' }, 'count')).fetches).toBe(2);
    child.send({ type: 'exit' });
  });
  it('a fleet: three verifier processes each pick up the rotated kid with one refetch of their own', async () => {
    const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
    const server = fork(here('./remote-fleet/jwks-server.mjs'), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(server);
    const verifiers = Array.from({ length: 3 }, () => {
      const child = fork(here('./remote-fleet/verifier.mjs'), {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      return child;
    });
    const fetches = async () => (await ask<{ fetches: number }>(server, { type: 'count' }, 'count')).fetches;
    const all = <T>(message: object, type: string) =>
      Promise.all(verifiers.map((v) => ask<T>(v, message, type)));

    const { port } = await ask<{ port: number }>(server, undefined, 'ready');
    await all({ type: 'init', url: `http://127.0.0.1:${port}/jwks` }, 'ready');
    const first = await ask<{ token: string; kid: string }>(server, { type: 'sign' }, 'token');
    for (const { results } of await all<{ results: string[] }>(
      { type: 'verify', token: first.token, times: 20 },
      'verified',
    )) {
      expect(new Set(results)).toEqual(new Set([first.kid]));
    }
    expect(await fetches()).toBe(3); // one per process, shared by its 20 concurrent verifications

    const { kid } = await ask<{ kid: string }>(server, { type: 'rotate' }, 'rotated');
    const second = await ask<{ token: string }>(server, { type: 'sign' }, 'token');
    for (const { results } of await all<{ results: string[] }>(
      { type: 'verify', token: second.token, times: 20 },
      'verified',
    )) {
      expect(new Set(results)).toEqual(new Set(['KID_UNKNOWN'])); // inside each one's cooldown: no fetch
    }
    expect(await fetches()).toBe(3);
    await all({ type: 'advance', ms: 30_000 }, 'advanced');
    for (const { results } of await all<{ results: string[] }>(
      { type: 'verify', token: second.token, times: 20 },
      'verified',
    )) {
      expect(new Set(results)).toEqual(new Set([kid]));
    }
    expect(await fetches()).toBe(6); // exactly one refetch per process
    for (const v of verifiers) v.send({ type: 'exit' });
    server.send({ type: 'exit' });
  });
});
