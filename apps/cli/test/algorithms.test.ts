/**
 * `--alg` and the algorithm table through the built CLI on the encrypted file store: an ES256 (P-256) key
 * round-trips through generate, get, sign, verify and jwks, checked against node:crypto; an RSA key stays RSA
 * across every kind of rotation unless `--alg` says otherwise; and `verify` takes signatures of any
 * algorithm's length (it once refused everything but 64 bytes, so RS256 signatures never verified).
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cli, initProject, json } from './helpers.js';

interface Jwk {
  kty: string;
  crv?: string;
  kid: string;
  alg?: string;
  d?: string;
}

describe('ES256 (P-256) through phlow-keys', () => {
  it('generate --alg ES256, get (PEM, JWK, private JWK), sign, verify and jwks agree with node:crypto', async () => {
    const cwd = await initProject();
    const generated = json(await cli(['generate', 'agent', '--alg', 'ES256', '--json'], { cwd }));
    expect(generated).toMatchObject({ keyId: 'agent', alg: 'ES256', keyType: 'P-256' });

    const jwk = json<Jwk>(await cli(['get', 'agent', '--format', 'jwk'], { cwd }));
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: generated.kid });
    expect(jwk.d).toBeUndefined();
    const pem = (await cli(['get', 'agent'], { cwd })).stdout;
    expect(createPublicKey(pem).asymmetricKeyType).toBe('ec');
    const privateJwk = json(await cli(['get', 'agent', '--private', '--json'], { cwd })).privateJwk as Jwk;
    expect(privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: generated.kid });

    const message = 'transfer 10 to bob';
    const signed = json(await cli(['sign', 'agent', '--message', message, '--json'], { cwd }));
    expect(signed).toMatchObject({ keyId: 'agent', kid: generated.kid, alg: 'ES256' });
    const signature = Buffer.from(signed.signature, 'base64url');
    expect(signature).toHaveLength(64); // JWS form, r || s
    const key = createPublicKey({ key: jwk as object as import('node:crypto').JsonWebKey, format: 'jwk' });
    expect(nodeVerify('sha256', Buffer.from(message), { key, dsaEncoding: 'ieee-p1363' }, signature)).toBe(
      true,
    );

    const good = await cli(['verify', 'agent', `--signature=${signed.signature}`, '--message', message], {
      cwd,
    });
    expect(good.code, good.stderr).toBe(0);
    const forged = await cli(['verify', 'agent', `--signature=${signed.signature}`, '--message', 'x'], {
      cwd,
    });
    expect(forged.code).toBe(1);

    const set = json<{ keys: Jwk[] }>(await cli(['jwks', 'agent'], { cwd }));
    expect(set.keys).toEqual([
      expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: generated.kid }),
    ]);
    expect(json(await cli(['list', '--json'], { cwd })).keys[0]).toMatchObject({
      alg: 'ES256',
      keyType: 'P-256',
    });
  });

  it('token signs ES256 for a P-256 key: jose verifies it with the published JWK Set, verify-token too', async () => {
    const cwd = await initProject();
    await cli(['generate', 'agent', '--alg', 'ES256'], { cwd });
    const minted = json(await cli(['token', 'agent', '--aud', 'peer', '--json'], { cwd }));
    expect(minted.alg).toBe('ES256');
    const { createLocalJWKSet, jwtVerify } = await import('jose');
    const set = json(await cli(['jwks', 'agent'], { cwd }));
    const { payload, protectedHeader } = await jwtVerify(minted.token, createLocalJWKSet(set), {
      audience: 'peer',
      issuer: 'agent',
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: minted.kid });
    expect(payload.iss).toBe('agent');
    const checked = await cli(['verify-token', minted.token, '--aud', 'peer', '--json'], { cwd });
    expect(checked.code, checked.stderr).toBe(0);
    expect(json(checked)).toMatchObject({ valid: true, alg: 'ES256', kid: minted.kid });
  });

  it('refuses an algorithm outside the table as a usage error, before any store is opened', async () => {
    const cwd = await initProject();
    for (const args of [
      ['generate', 'agent', '--alg', 'ES384'],
      ['rotate', 'agent', '--alg', 'HS256'],
    ]) {
      const result = await cli(args, { cwd });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--alg must be one of EdDSA, ES256, RS256');
    }
    // Nothing was generated: the id is still free.
    expect(json(await cli(['list', '--json'], { cwd })).keys).toEqual([]);
  });
});

describe('RSA stays RSA across rotate', () => {
  it('staged, --now and --if-older-than rotations keep RS256; --alg changes it; RS256 signatures verify', async () => {
    const cwd = await initProject();
    const algOf = async () => json(await cli(['list', '--json'], { cwd })).keys[0].alg;
    const created = json(await cli(['generate', 'legacy', '--alg', 'RS256', '--json'], { cwd }));
    expect(created).toMatchObject({ alg: 'RS256', keyType: 'RSA' });

    // An RS256 signature is as long as the modulus: verify must not refuse it by length.
    const signed = json(await cli(['sign', 'legacy', '--message', 'm', '--json'], { cwd }));
    expect(signed.alg).toBe('RS256');
    expect(Buffer.from(signed.signature, 'base64url')).toHaveLength(256);
    const verified = await cli(['verify', 'legacy', `--signature=${signed.signature}`, '--message', 'm'], {
      cwd,
    });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);

    for (const args of [
      ['rotate', 'legacy'],
      ['rotate', 'legacy', '--now'],
      ['rotate', 'legacy', '--if-older-than', '0'],
    ]) {
      const rotated = json(await cli([...args, '--json'], { cwd }));
      expect(rotated, args.join(' ')).toMatchObject({ rotated: true, alg: 'RS256' });
      expect(await algOf()).toBe('RS256');
    }
    const published = json<{ keys: Jwk[] }>(await cli(['jwks', 'legacy'], { cwd })).keys;
    expect(published.length).toBeGreaterThan(1);
    expect(published.every((k) => k.kty === 'RSA' && k.alg === 'RS256')).toBe(true);

    const switched = json(await cli(['rotate', 'legacy', '--alg', 'ES256', '--now', '--json'], { cwd }));
    expect(switched.alg).toBe('ES256');
    expect(await algOf()).toBe('ES256');
    expect(json(await cli(['sign', 'legacy', '--message', 'm', '--json'], { cwd })).alg).toBe('ES256');
  });
});
