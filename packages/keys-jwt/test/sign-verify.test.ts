// signJwt and verifyJwt against each other and against jose on its own (createLocalJWKSet over the JWK Set
// KeyManager publishes), for both key types, through rotation, and across two managers sharing one store.
import { inspect } from 'node:util';
import { createMemoryKeyStore } from '@phlow/keys-core';
import { testClock } from '@phlow/test-support/clock';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { isJwtError, signJwt, verifyJwt } from '../src/index.js';
import { countingStore, manager } from './helpers.js';

describe.each([
  ['EdDSA', 'ed-agent'],
  ['ES256', 'es-agent'],
  ['RS256', 'rsa-agent'],
] as const)('%s tokens', (alg, id) => {
  const keys = manager(createMemoryKeyStore());
  beforeAll(async () => {
    await keys.generateKeyPair(id, { algorithm: alg });
  });

  it('carry alg from the key type, kid = the JWK Set thumbprint, typ JWT, iat, exp in 5 min, iss = key id', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await signJwt(keys, id, { scope: 'read' }, { audience: 'peer' });
    const jwks = await keys.jwks([id]);
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg, kid: jwks.keys[0]!.kid, typ: 'JWT' });
    expect(jwks.keys[0]!.kid).toBe(await calculateJwkThumbprint(jwks.keys[0] as never, 'sha256'));
    const { payload } = await verifyJwt(keys, token, { audience: 'peer' });
    expect(payload).toMatchObject({ scope: 'read', iss: id, aud: 'peer' });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('verify in jose alone, with createLocalJWKSet over keys.jwks()', async () => {
    const token = await signJwt(keys, id, { hello: 'world' }, { audience: 'peer', expiresIn: '1m' });
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createLocalJWKSet((await keys.jwks([id])) as never),
      {
        audience: 'peer',
        issuer: id,
      },
    );
    expect(payload.hello).toBe('world');
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(protectedHeader.alg).toBe(alg);
  });

  it('verifyJwt returns the issuer and the kid of the key that verified', async () => {
    const token = await signJwt(keys, id);
    const result = await verifyJwt(keys, token);
    expect(result.keyId).toBe(id);
    expect(result.kid).toBe((await keys.getKeyPair(id)).kid);
    expect(result.protectedHeader.alg).toBe(alg);
  });
});

describe('RSA keys from generateKeyPair', () => {
  it('are RSA-2048, exponent 65537, PKCS#8 / SPKI PEM, published as RSA JWKs with n, e and the RFC 7638 kid', async () => {
    const keys = manager(createMemoryKeyStore());
    const pair = await keys.generateKeyPair('py-peer', { algorithm: 'RS256' });
    expect(pair.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pair.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const jwk = (await keys.jwks(['py-peer'])).keys[0]!;
    expect(jwk).toMatchObject({ kty: 'RSA', e: 'AQAB', alg: 'RS256', use: 'sig' });
    expect(Buffer.from(jwk.n!, 'base64url').length).toBe(256);
    expect(jwk.kid).toBe(await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n!, e: jwk.e! }, 'sha256'));
  });
});

describe('the signing key', () => {
  it('names the key signDetailed signed with: when the signing key switches between naming and signing, the header is made again', async () => {
    const keys = manager(createMemoryKeyStore());
    const current = await keys.generateKeyPair('agent');
    expect(decodeProtectedHeader(await signJwt(keys, 'agent')).kid).toBe(current.kid);
    // A rotation that activates between the header (getPublicKeyPair) and the signature (signDetailed).
    let calls = 0;
    const racing = new Proxy(keys, {
      get(target, name) {
        if (name === 'signDetailed') {
          return async (id: string, data: string) => {
            if (calls++ === 0) await target.rotateKeyPair(id);
            return target.signDetailed(id, data);
          };
        }
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const token = await signJwt(racing, 'agent');
    const next = (await keys.getPublicKeyPair('agent')).kid;
    expect(next).not.toBe(current.kid);
    expect(calls).toBe(2);
    expect(decodeProtectedHeader(token).kid).toBe(next);
    expect((await verifyJwt(keys, token)).kid).toBe(next);
  });
});

describe('Ed25519 tokens under the RFC 9864 alg name', () => {
  it('are accepted: alg "Ed25519" is EdDSA with an Ed25519 key', async () => {
    const keys = manager(createMemoryKeyStore());
    const pair = await keys.generateKeyPair('ed');
    const { SignJWT } = await import('jose');
    const { createPrivateKey } = await import('node:crypto');
    const token = await new SignJWT({ iss: 'ed' })
      .setProtectedHeader({ alg: 'Ed25519', kid: pair.kid })
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(createPrivateKey(pair.privateKey));
    expect((await verifyJwt(keys, token)).protectedHeader.alg).toBe('Ed25519');
  });
});

describe('rotation', () => {
  it('a token signed before a rotation verifies during the grace period, by its kid', async () => {
    const clock = testClock();
    const keys = manager(createMemoryKeyStore(), clock.now);
    await keys.generateKeyPair('agent');
    const old = await signJwt(keys, 'agent', {}, { now: clock.now, expiresIn: '1h' });
    await keys.rotateKeyPair('agent');
    const fresh = await signJwt(keys, 'agent', {}, { now: clock.now });
    expect(decodeProtectedHeader(fresh).kid).not.toBe(decodeProtectedHeader(old).kid);
    clock.advance(60_000);
    expect((await verifyJwt(keys, old, { now: clock.now })).kid).toBe(decodeProtectedHeader(old).kid);
    expect((await verifyJwt(keys, fresh, { now: clock.now })).kid).toBe(decodeProtectedHeader(fresh).kid);
  });

  it('during a staged rotation tokens keep the previous kid until the new key activates', async () => {
    const clock = testClock();
    const keys = manager(createMemoryKeyStore(), clock.now, 86_400_000, 900_000);
    await keys.generateKeyPair('agent');
    const before = decodeProtectedHeader(await signJwt(keys, 'agent', {}, { now: clock.now })).kid;
    const { kid: next } = await keys.rotateKeyPair('agent');
    // Published at once: a token by the new key would verify already, but none is signed with it yet.
    expect(decodeProtectedHeader(await signJwt(keys, 'agent', {}, { now: clock.now })).kid).toBe(before);
    expect((await keys.jwks(['agent'])).keys.map((k) => k.kid)).toContain(next);
    clock.advance(905_000); // the memory store stamps versions with the real clock: a little past the delay
    keys.clear();
    const after = await signJwt(keys, 'agent', {}, { now: clock.now });
    expect(decodeProtectedHeader(after).kid).toBe(next);
    expect((await verifyJwt(keys, after, { now: clock.now })).kid).toBe(next);
  });

  it('a key rotated in by another manager (process) is found by one refetch on its unknown kid', async () => {
    const { store, counts } = countingStore();
    const clock = testClock();
    const signer = manager(store, clock.now);
    const verifier = manager(store, clock.now);
    await signer.generateKeyPair('agent');
    await verifyJwt(verifier, await signJwt(signer, 'agent')); // the verifier now caches the first key
    await signer.rotateKeyPair('agent');
    const token = await signJwt(signer, 'agent', {}, { now: clock.now });
    // KeyManager's refetch (getKeyByKid) rereads once the cached keys are a cooldown (30 s) old, as jose does.
    clock.advance(31_000);
    const reads = counts.reads;
    expect((await verifyJwt(verifier, token, { now: clock.now })).kid).toBe(
      (await signer.getKeyPair('agent')).kid,
    );
    expect(counts.reads - reads).toBeGreaterThan(0);
    // Known now: the next token costs no store read.
    const after = counts.reads;
    await verifyJwt(verifier, await signJwt(signer, 'agent', {}, { now: clock.now }), { now: clock.now });
    expect(counts.reads).toBe(after);
  });

  it('refetches at most once per cooldown for a stream of unknown kids, and concurrent misses share one read', async () => {
    const { store, counts } = countingStore();
    const clock = testClock();
    const signer = manager(store, clock.now);
    const verifier = manager(store, clock.now);
    await signer.generateKeyPair('agent');
    const real = await signJwt(signer, 'agent', {}, { now: clock.now });
    await verifyJwt(verifier, real, { now: clock.now });
    const [h, p, s] = real.split('.');
    const forged = (kid: string) =>
      `${Buffer.from(JSON.stringify({ ...decodeProtectedHeader(real), kid })).toString('base64url')}.${p}.${s}`;
    void h;
    clock.advance(31_000); // the cached keys are a cooldown old: the first unknown kid may reread them
    const reads = counts.reads;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => verifyJwt(verifier, forged(`made-up-${i}`), { now: clock.now })),
    );
    expect(results.every((r) => r.status === 'rejected' && isJwtError(r.reason, 'KID_UNKNOWN'))).toBe(true);
    const firstBurst = counts.reads - reads;
    expect(firstBurst).toBeGreaterThan(0);
    expect(firstBurst).toBeLessThanOrEqual(2); // one refresh: the pair and its versions
    await expect(verifyJwt(verifier, forged('again'), { now: clock.now })).rejects.toMatchObject({
      code: 'KID_UNKNOWN',
    });
    expect(counts.reads - reads).toBe(firstBurst);
    clock.advance(31_000);
    await expect(verifyJwt(verifier, forged('later'), { now: clock.now })).rejects.toMatchObject({
      code: 'KID_UNKNOWN',
    });
    expect(counts.reads - reads).toBeGreaterThan(firstBurst);
  });
  it("refetches through the manager's getKeyByKid, so its refetchCooldownMs rules", async () => {
    const { store, counts } = countingStore();
    const signer = manager(store);
    await signer.generateKeyPair('agent');
    const verifier = manager(store, Date.now, 3_600_000, 0, 0);
    const real = await signJwt(signer, 'agent');
    await verifyJwt(verifier, real);
    const [, p, s] = real.split('.');
    const forged = `${Buffer.from(JSON.stringify({ ...decodeProtectedHeader(real), kid: 'x' })).toString('base64url')}.${p}.${s}`;
    const reads = counts.reads;
    await expect(verifyJwt(verifier, forged)).rejects.toMatchObject({ code: 'KID_UNKNOWN' });
    const one = counts.reads - reads;
    await expect(verifyJwt(verifier, forged)).rejects.toMatchObject({ code: 'KID_UNKNOWN' });
    expect(counts.reads - reads).toBe(2 * one);
  });
});

describe('tokens without kid (as the Python Phlow makes them)', () => {
  it('verify against the issuer keys of the matching type, including an in-grace one', async () => {
    const clock = testClock();
    const keys = manager(createMemoryKeyStore(), clock.now);
    await keys.generateKeyPair('agent', { algorithm: 'RS256' });
    const { SignJWT } = await import('jose');
    const { createPrivateKey } = await import('node:crypto');
    const old = await keys.getKeyPair('agent');
    const token = await new SignJWT({ sub: 'agent' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuedAt(Math.floor(clock.ms / 1000))
      .setExpirationTime(Math.floor(clock.ms / 1000) + 600)
      .sign(createPrivateKey(old.privateKey));
    await keys.rotateKeyPair('agent'); // the new key is Ed25519: only the in-grace RSA key fits RS256
    const result = await verifyJwt(keys, token, { keyId: 'agent', now: clock.now });
    expect(result.kid).toBe(old.kid);
    expect(result.payload.sub).toBe('agent');
  });
});

describe('signJwt arguments', () => {
  const keys = manager(createMemoryKeyStore());
  beforeAll(async () => {
    await keys.generateKeyPair('a');
  });

  it('refuses reserved claims in claims, bad lifetimes and non-objects with INVALID_ARGUMENT', async () => {
    for (const [claims, options] of [
      [{ exp: 1 }, {}],
      [{ nbf: 1 }, {}],
      [{ iat: 1 }, {}],
      [[1, 2], {}],
      [{}, { expiresIn: 0 }],
      [{}, { expiresIn: '2d' }],
      [{}, { expiresIn: '5 minutes' }],
      [{}, { expiresIn: 1.5 }],
      [{ big: 10n }, {}],
      [{ blob: 'x'.repeat(9000) }, {}],
    ] as const) {
      await expect(signJwt(keys, 'a', claims as never, options as never)).rejects.toMatchObject({
        name: 'JwtError',
        code: 'INVALID_ARGUMENT',
      });
    }
  });

  it('accepts lifetimes as seconds or 90s / 5m / 1h / 1d', async () => {
    for (const [value, seconds] of [
      [90, 90],
      ['90s', 90],
      ['5m', 300],
      ['1h', 3600],
      ['1d', 86400],
    ] as const) {
      const { payload } = await verifyJwt(keys, await signJwt(keys, 'a', {}, { expiresIn: value }));
      expect(payload.exp! - payload.iat!).toBe(seconds);
    }
  });

  it('says UNSUPPORTED for a key type JWTs cannot use, and NOT_FOUND for a missing id', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const ec = generateKeyPairSync('ec', {
      namedCurve: 'P-384', // P-256 signs ES256 (algorithms.test.ts); P-384 is in no row of core's table
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    await keys.storeKeyPair('ec', ec.privateKey, ec.publicKey);
    await expect(signJwt(keys, 'ec')).rejects.toMatchObject({ name: 'KeyStoreError', code: 'UNSUPPORTED' });
    await expect(signJwt(keys, 'nobody')).rejects.toMatchObject({ name: 'KeyStoreError', code: 'NOT_FOUND' });
  });

  it('errors carry no key material and no token', async () => {
    const pair = await keys.getKeyPair('a');
    const token = await signJwt(keys, 'a', { secret: 'claim-value-xyz' }, { audience: 'b' });
    const error = await verifyJwt(keys, token).catch((e: unknown) => e);
    expect(isJwtError(error, 'AUDIENCE_MISMATCH')).toBe(true);
    const shown = `${String(error)} ${JSON.stringify(error)} ${inspect(error)}`;
    for (const secret of [token, token.split('.')[1]!, 'claim-value-xyz', pair.privateKey.split('\n')[1]!]) {
      expect(shown).not.toContain(secret);
    }
  });
});
