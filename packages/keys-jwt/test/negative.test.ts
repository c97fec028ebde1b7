// The refusal table: every way a token must fail, each its own test, each with its documented code.
import { createHmac, createPrivateKey } from 'node:crypto';
import { createMemoryKeyStore, type KeyManager } from '@phlow/keys-core';
import { testClock } from '@phlow/test-support/clock';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { type JwtErrorCode, signJwt, type VerifyJwtOptions, verifyJwt } from '../src/index.js';
import { type Counts, countingStore, manager } from './helpers.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const header = (token: string) => JSON.parse(Buffer.from(parts(token)[0], 'base64url').toString());
const payload = (token: string) => JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString());

let keys: KeyManager;
let counts: Counts;
const clock = testClock();
const now = clock.now;
let ed: string; // a valid EdDSA token of "ed" for "peer"
let rsa: string; // a valid RS256 token of "rsa" for "peer"
let retired: string; // signed by a key of "ed" that is past its grace period by the time it is checked
let retiredNoKid: string;

beforeAll(async () => {
  const counted = countingStore(createMemoryKeyStore());
  keys = manager(counted.store, now, 60_000, 0, 0); // refetch on every unknown kid: each refusal reads again
  counts = counted.counts;
  await keys.generateKeyPair('ed');
  await keys.generateKeyPair('rsa', { algorithm: 'RS256' });
  const oldPair = await keys.getKeyPair('ed');
  retired = await signJwt(keys, 'ed', {}, { audience: 'peer', expiresIn: '1d', now });
  retiredNoKid = await new SignJWT({ iss: 'ed', aud: 'peer' })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuedAt(Math.floor(clock.ms / 1000))
    .setExpirationTime(Math.floor(clock.ms / 1000) + 86_400)
    .sign(createPrivateKey(oldPair.privateKey));
  await keys.rotateKeyPair('ed');
  clock.advance(120_000); // past the 60 s grace period: the first key is retired
  ed = await signJwt(keys, 'ed', {}, { audience: 'peer', now });
  rsa = await signJwt(keys, 'rsa', {}, { audience: 'peer', now });
  // Both verify as they are: every failure below is caused by the one change its row makes.
  await verifyJwt(keys, ed, { audience: 'peer', now });
  await verifyJwt(keys, rsa, { audience: 'peer', now });
});

async function refused(
  token: string | (() => Promise<string> | string),
  code: JwtErrorCode,
  options: VerifyJwtOptions = {},
) {
  const t = typeof token === 'function' ? await token() : token;
  const error = await verifyJwt(keys, t, { audience: 'peer', now, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ name: 'JwtError', code });
  // No message ever quotes the token.
  expect((error as Error).message).not.toContain(parts(t.length > 100_000 ? 'a.b.c' : t)[1]);
}

describe('verifyJwt refuses', () => {
  it('an expired token: EXPIRED', async () => {
    const token = await signJwt(
      keys,
      'ed',
      {},
      { audience: 'peer', expiresIn: 60, now: () => clock.ms - 600_000 },
    );
    await refused(token, 'EXPIRED');
  });

  it('an expired token also past the clock tolerance only: EXPIRED at 31 s, valid at 29 s', async () => {
    const token = await signJwt(keys, 'ed', {}, { audience: 'peer', expiresIn: 60, now });
    await verifyJwt(keys, token, { audience: 'peer', now: () => clock.ms + 89_000 });
    await refused(token, 'EXPIRED', { now: () => clock.ms + 91_000 });
  });

  it('a token not yet valid (nbf in 10 min): NOT_YET_VALID', async () => {
    const token = await signJwt(keys, 'ed', {}, { audience: 'peer', notBeforeSeconds: 600, now });
    await refused(token, 'NOT_YET_VALID');
  });

  it('a token for another audience: AUDIENCE_MISMATCH', async () => {
    await refused(ed, 'AUDIENCE_MISMATCH', { audience: 'someone-else' });
  });

  it('a token with an audience when none is expected: AUDIENCE_MISMATCH', async () => {
    const error = await verifyJwt(keys, ed, { now }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AUDIENCE_MISMATCH' });
  });

  it('a token of another issuer than expected: ISSUER_MISMATCH', async () => {
    await refused(ed, 'ISSUER_MISMATCH', { issuer: 'someone-else' });
  });

  it('a token whose iss is not the key id that verified it: ISSUER_MISMATCH', async () => {
    const token = await signJwt(keys, 'ed', {}, { audience: 'peer', issuer: 'rsa', now });
    await refused(token, 'ISSUER_MISMATCH', { keyId: 'ed' });
  });

  it('an unknown kid, after one refetch from the store: KID_UNKNOWN', async () => {
    const before = counts.reads;
    const [, p, s] = parts(ed);
    await refused(`${b64({ ...header(ed), kid: 'AAAA-unknown-kid' })}.${p}.${s}`, 'KID_UNKNOWN');
    expect(counts.reads).toBeGreaterThan(before); // the store was asked again before refusing
  });

  it('alg none: ALG_REFUSED', async () => {
    await refused(`${b64({ alg: 'none', typ: 'JWT' })}.${parts(ed)[1]}.`, 'ALG_REFUSED');
  });

  it('HS256 signed with the public key PEM as the secret: ALG_REFUSED', async () => {
    const pem = (await keys.getKeyPair('rsa')).publicKey;
    const kid = header(rsa).kid;
    const signingInput = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${parts(rsa)[1]}`;
    const mac = createHmac('sha256', pem).update(signingInput).digest('base64url');
    await refused(`${signingInput}.${mac}`, 'ALG_REFUSED');
  });

  it('alg swapped EdDSA -> RS256 on an Ed25519 key: ALG_MISMATCH', async () => {
    const [, p, s] = parts(ed);
    await refused(`${b64({ ...header(ed), alg: 'RS256' })}.${p}.${s}`, 'ALG_MISMATCH');
  });

  it('alg swapped RS256 -> EdDSA on an RSA key: ALG_MISMATCH', async () => {
    const [, p, s] = parts(rsa);
    await refused(`${b64({ ...header(rsa), alg: 'EdDSA' })}.${p}.${s}`, 'ALG_MISMATCH');
  });

  it('a tampered payload: SIGNATURE_INVALID', async () => {
    const [h, , s] = parts(ed);
    await refused(`${h}.${b64({ ...payload(ed), admin: true })}.${s}`, 'SIGNATURE_INVALID');
  });

  it('a tampered RS256 payload: SIGNATURE_INVALID', async () => {
    const [h, , s] = parts(rsa);
    await refused(`${h}.${b64({ ...payload(rsa), exp: payload(rsa).exp + 3600 })}.${s}`, 'SIGNATURE_INVALID');
  });

  it('a signature by a retired key (past its grace period): KID_UNKNOWN', async () => {
    await refused(retired, 'KID_UNKNOWN');
  });

  it('a signature by a retired key, without kid: SIGNATURE_INVALID', async () => {
    await refused(retiredNoKid, 'SIGNATURE_INVALID');
  });

  it('a token carrying its own key (jwk header) and signed by it: KID_UNKNOWN, the header key is never used', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { calculateJwkThumbprint } = await import('jose');
    const attacker = generateKeyPairSync('ed25519');
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    const kid = await calculateJwkThumbprint(jwk as never);
    const token = await new SignJWT({ iss: 'ed', aud: 'peer' })
      .setProtectedHeader({ alg: 'EdDSA', kid, jwk: jwk as never, jku: 'https://attacker.example/jwks.json' })
      .setIssuedAt(Math.floor(clock.ms / 1000))
      .setExpirationTime(Math.floor(clock.ms / 1000) + 300)
      .sign(attacker.privateKey);
    await refused(token, 'KID_UNKNOWN');
    const withoutKid = await new SignJWT({ iss: 'ed', aud: 'peer' })
      .setProtectedHeader({ alg: 'EdDSA', jwk: jwk as never })
      .setIssuedAt(Math.floor(clock.ms / 1000))
      .setExpirationTime(Math.floor(clock.ms / 1000) + 300)
      .sign(attacker.privateKey);
    await refused(withoutKid, 'SIGNATURE_INVALID');
  });

  it('an RS256 token by an RSA key under 2048 bits (legal to store, too weak to trust): ALG_MISMATCH', async () => {
    const { createSign, generateKeyPairSync } = await import('node:crypto');
    const weak = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    await keys.storeKeyPair('weak', weak.privateKey, weak.publicKey);
    const iat = Math.floor(clock.ms / 1000);
    const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: 'weak', aud: 'peer', iat, exp: iat + 300 })}`;
    const signature = createSign('RSA-SHA256').update(input).sign(weak.privateKey).toString('base64url');
    await refused(`${input}.${signature}`, 'ALG_MISMATCH');
  });

  it('a 1 MB token: TOO_LARGE, unparsed', async () => {
    const big = `${parts(ed)[0]}.${'A'.repeat(1024 * 1024)}.${parts(ed)[2]}`;
    const before = counts.reads;
    await refused(big, 'TOO_LARGE');
    expect(counts.reads).toBe(before);
  });

  it('not a compact JWS: MALFORMED', async () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d', `${parts(ed)[0]}.!!!.x`, 'e30.e30.', 'bnVsbA.e30.x']) {
      await expect(verifyJwt(keys, token, { now })).rejects.toMatchObject({
        code: expect.stringMatching(/MALFORMED|ALG_REFUSED/),
      });
    }
    await expect(verifyJwt(keys, 42 as never)).rejects.toMatchObject({ code: 'MALFORMED' });
  });

  it('an alg that names something on Object.prototype: ALG_REFUSED', async () => {
    const [, p, s] = parts(ed);
    await refused(`${b64({ alg: 'constructor', kid: header(ed).kid })}.${p}.${s}`, 'ALG_REFUSED');
  });

  it('a token without exp: CLAIM_INVALID', async () => {
    const pair = await keys.getKeyPair('ed');
    const token = await new SignJWT({ iss: 'ed', aud: 'peer' })
      .setProtectedHeader({ alg: 'EdDSA', kid: pair.kid })
      .setIssuedAt()
      .sign(createPrivateKey(pair.privateKey));
    await refused(token, 'CLAIM_INVALID');
  });

  for (const claim of ['nbf', 'iat'] as const) {
    for (const [what, value] of [
      ['a string', 'soon'],
      ['null', null],
      ['an object', { t: 1 }],
    ] as const) {
      it(`a signed token whose ${claim} is ${what}: CLAIM_INVALID, not NOT_YET_VALID`, async () => {
        const pair = await keys.getKeyPair('ed');
        const exp = Math.floor(clock.ms / 1000) + 600;
        const token = await new SignJWT({ iss: 'ed', aud: 'peer', exp, [claim]: value })
          .setProtectedHeader({ alg: 'EdDSA', kid: pair.kid })
          .sign(createPrivateKey(pair.privateKey));
        // maxTokenAgeSeconds makes jose read iat as well.
        await refused(token, 'CLAIM_INVALID', { maxTokenAgeSeconds: 3600 });
      });
    }
  }

  it('a token whose exp is not a number: CLAIM_INVALID', async () => {
    const pair = await keys.getKeyPair('ed');
    const token = await new SignJWT({ iss: 'ed', aud: 'peer', exp: 'tomorrow' as unknown as number })
      .setProtectedHeader({ alg: 'EdDSA', kid: pair.kid })
      .sign(createPrivateKey(pair.privateKey));
    await refused(token, 'CLAIM_INVALID');
  });

  it('a token whose iat is in the future (with maxTokenAgeSeconds): NOT_YET_VALID', async () => {
    const pair = await keys.getKeyPair('ed');
    const iat = Math.floor(clock.ms / 1000) + 600;
    const token = await new SignJWT({ iss: 'ed', aud: 'peer', iat, exp: iat + 600 })
      .setProtectedHeader({ alg: 'EdDSA', kid: pair.kid })
      .sign(createPrivateKey(pair.privateKey));
    await refused(token, 'NOT_YET_VALID', { maxTokenAgeSeconds: 3600 });
  });

  it('a token whose iss is not a key id, with no keyId given: CLAIM_INVALID', async () => {
    const token = await signJwt(keys, 'ed', {}, { audience: 'peer', issuer: '../etc/passwd', now });
    await refused(token, 'CLAIM_INVALID');
  });
});

describe('verifyJwt option values', () => {
  const bad: [string, VerifyJwtOptions][] = [
    ['maxTokenLength NaN', { maxTokenLength: Number.NaN }],
    ['maxTokenLength 0', { maxTokenLength: 0 }],
    ['maxTokenLength 1.5', { maxTokenLength: 1.5 }],
    ['maxTokenLength Infinity', { maxTokenLength: Number.POSITIVE_INFINITY }],
    ['clockToleranceSeconds NaN', { clockToleranceSeconds: Number.NaN }],
    ['clockToleranceSeconds -1', { clockToleranceSeconds: -1 }],
    ['maxTokenAgeSeconds NaN', { maxTokenAgeSeconds: Number.NaN }],
    ['maxTokenAgeSeconds -5', { maxTokenAgeSeconds: -5 }],
    ['audience []', { audience: [] }],
    ['audience [1]', { audience: [1] as unknown as string[] }],
    ['issuer []', { issuer: [] }],
    ['now not a function', { now: 5 as unknown as () => number }],
    ['now() NaN', { now: () => Number.NaN }],
  ];
  for (const [name, options] of bad) {
    it(`${name}: INVALID_ARGUMENT for a valid token, with no store read`, async () => {
      const reads = counts.reads;
      const error = await verifyJwt(keys, ed, { audience: 'peer', now, ...options }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ name: 'JwtError', code: 'INVALID_ARGUMENT' });
      expect(counts.reads).toBe(reads);
    });
  }

  it('maxTokenLength NaN does not turn the size limit off', async () => {
    const error = await verifyJwt(keys, `${'a'.repeat(10_000)}.b.c`, { maxTokenLength: Number.NaN }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('valid edge values still verify: tolerance 0, age limit large, maxTokenLength exactly the token length', async () => {
    const result = await verifyJwt(keys, ed, {
      audience: 'peer',
      now,
      clockToleranceSeconds: 0,
      maxTokenAgeSeconds: 86_400,
      maxTokenLength: ed.length,
    });
    expect(result.keyId).toBe('ed');
  });
});
