// verifyJwt with a remote JWK Set: the same codes as store verification (KID_UNKNOWN, SIGNATURE_INVALID,
// ALG_REFUSED, ...), one audit event per verification on the set's onEvent, an outage as core's UNAVAILABLE,
// and a fleet case: a server process rotates its set and this process's verifier picks the new kid up with
// one refetch, counted by the server.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isKeyStoreError } from '@phlow/keys-core';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteKeySet, isJwtError, type RemoteKeySetEvent, verifyJwt } from '../src/index.js';
import { clock, jwks, newKey, startServer, type TestKey, type TestServer } from './remote-helpers.js';

const servers: TestServer[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const child of children.splice(0)) child.kill();
});

const ISSUER = 'https://issuer.test';

function token(
  key: TestKey,
  alg = 'EdDSA',
  kid: string | undefined = key.kid,
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
    const server = await startServer(jwks(() => ({ keys: [ed.publicJwk, ec.publicJwk] })));
    servers.push(server);
    const events: RemoteKeySetEvent[] = [];
    const set = createRemoteKeySet(server.url(), {
      allowInsecureLoopback: true,
      onEvent: (e) => events.push(e),
    });

    const ok = await verifyJwt(set, await token(ed), { issuer: ISSUER });
    expect(ok.kid).toBe(ed.kid);
    expect(ok.keyId).toBe('127.0.0.1');
    expect((await verifyJwt(set, await token(ec, 'ES256'), { issuer: ISSUER })).kid).toBe(ec.kid);
    expect((await verifyJwt(set, await token(ed, 'EdDSA', undefined), { issuer: ISSUER })).kid).toBe(ed.kid);

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
      ['verify', 'remote-jwks', true, null],
      ['verify', 'remote-jwks', false, 'KID_UNKNOWN'],
      ['verify', 'remote-jwks', false, 'SIGNATURE_INVALID'],
      ['verify', 'remote-jwks', false, 'ALG_MISMATCH'],
      ['verify', 'remote-jwks', false, 'ISSUER_MISMATCH'],
      ['verify', 'remote-jwks', false, 'ALG_REFUSED'],
    ]);
    expect(audits[0]!.kid).toBe(ed.kid);
  });

  it('answers an unreachable set with nothing cached as UNAVAILABLE (an outage, not a bad token)', async () => {
    const server = await startServer((_req, res) => res.writeHead(503).end());
    servers.push(server);
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
    const ask = <T>(message: object, type: string) =>
      new Promise<T>((resolve) => {
        const on = (reply: { type: string }) => {
          if (reply.type !== type) return;
          child.off('message', on);
          resolve(reply as T);
        };
        child.on('message', on);
        if (Object.keys(message).length) child.send(message);
      });
    const { port } = await ask<{ port: number }>({}, 'ready');
    const c = clock();
    const set = createRemoteKeySet(`http://127.0.0.1:${port}/jwks`, {
      allowInsecureLoopback: true,
      now: c.now,
      cooldownMs: 30_000,
    });
    const first = await ask<{ token: string; kid: string }>({ type: 'sign' }, 'token');
    expect((await verifyJwt(set, first.token, { issuer: ISSUER })).kid).toBe(first.kid);

    const { kid } = await ask<{ kid: string }>({ type: 'rotate' }, 'rotated');
    const second = await ask<{ token: string; kid: string }>({ type: 'sign' }, 'token');
    expect(second.kid).toBe(kid);
    // Within the cooldown of the first fetch the new kid is unknown, and nothing is fetched for it.
    expect(await codeOf(verifyJwt(set, second.token, { issuer: ISSUER }))).toBe('KID_UNKNOWN');
    expect((await ask<{ fetches: number }>({ type: 'count' }, 'count')).fetches).toBe(1);
    c.advance(30_000);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => verifyJwt(set, second.token, { issuer: ISSUER })),
    );
    expect(results.every((r) => r.kid === kid)).toBe(true);
    expect((await ask<{ fetches: number }>({ type: 'count' }, 'count')).fetches).toBe(2);
    // The old key still verifies (still published), from the same fetch.
    expect((await verifyJwt(set, first.token, { issuer: ISSUER })).kid).toBe(first.kid);
    expect((await ask<{ fetches: number }>({ type: 'count' }, 'count')).fetches).toBe(2);
    child.send({ type: 'exit' });
  });
});
