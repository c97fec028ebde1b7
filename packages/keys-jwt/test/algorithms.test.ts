// keys-jwt follows core's algorithm table: the keys KeyManager refuses, verifyJwt and signJwt refuse, and the
// keys the JWK Set advertises, signJwt signs with (ES256 included). Each case was measured on main first.
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { createMemoryKeyStore, newKeyPems } from '@phlow/keys-core';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createJwksHandler, signJwt, verifyJwt } from '../src/index.js';
import { manager } from './helpers.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const hex = (s: string) => Buffer.from(s, 'hex');

// RFC 8032's TEST 1 secret as a PKCS#8 PEM: some valid private key to fill the private half.
const SOME_PRIVATE = `-----BEGIN PRIVATE KEY-----\n${Buffer.concat([
  hex('302e020100300506032b657004220420'),
  hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
]).toString('base64')}\n-----END PRIVATE KEY-----\n`;
// A small-order public key (the identity point, y = 1): OpenSSL before 3.6 accepts the signature R = identity,
// S = 0 under it for every message.
const SMALL_ORDER_PUBLIC = `-----BEGIN PUBLIC KEY-----\n${Buffer.concat([
  hex('302a300506032b6570032100'),
  hex('0100000000000000000000000000000000000000000000000000000000000000'),
]).toString('base64')}\n-----END PUBLIC KEY-----\n`;
const IDENTITY_SIGNATURE = hex(`01${'00'.repeat(63)}`).toString('base64url');

describe('a small-order Ed25519 key written into the store around KeyManager', () => {
  async function forgedSetup() {
    const store = createMemoryKeyStore();
    await store.storeKeyPair('victim', SOME_PRIVATE, SMALL_ORDER_PUBLIC);
    return manager(store);
  }
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: 'victim', admin: true, iat: now, exp: now + 300 };

  it('a forged admin token is refused by verifyJwt as by KeyManager.verify (with and without kid)', async () => {
    const keys = await forgedSetup();
    const kid = (await keys.getPublicKeyPair('victim')).kid;
    for (const header of [
      { alg: 'EdDSA', typ: 'JWT' },
      { alg: 'EdDSA', kid, typ: 'JWT' },
      { alg: 'Ed25519', kid },
    ]) {
      const input = `${b64(header)}.${b64(claims)}`;
      expect(await keys.verify('victim', input, Buffer.from(IDENTITY_SIGNATURE, 'base64url'))).toBe(false);
      await expect(verifyJwt(keys, `${input}.${IDENTITY_SIGNATURE}`)).rejects.toMatchObject({
        name: 'JwtError',
        code: 'ALG_MISMATCH',
      });
    }
  });

  it('is not published by the JWKS endpoint, and signJwt refuses to sign with it', async () => {
    const keys = await forgedSetup();
    const response = await createJwksHandler(keys, { keyIds: ['victim'] })(new Request('http://x/jwks'));
    expect(await response.json()).toEqual({ keys: [] });
    await expect(signJwt(keys, 'victim')).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });
});

describe('RSA-1024', () => {
  it('KeyManager.sign and signJwt both refuse it (UNSUPPORTED); verifyJwt and KeyManager.verify accept none of its signatures', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const weak = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const keys = manager(createMemoryKeyStore());
    await keys.storeKeyPair('weak', weak.privateKey, weak.publicKey);
    await expect(keys.sign('weak', 'x')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(signJwt(keys, 'weak')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const now = Math.floor(Date.now() / 1000);
    const kid = (await keys.getPublicKeyPair('weak')).kid;
    const input = `${b64({ alg: 'RS256', kid })}.${b64({ iss: 'weak', iat: now, exp: now + 60 })}`;
    const signature = nodeSign('sha256', Buffer.from(input), weak.privateKey);
    expect(await keys.verify('weak', input, signature)).toBe(false);
    await expect(verifyJwt(keys, `${input}.${signature.toString('base64url')}`)).rejects.toMatchObject({
      code: 'ALG_MISMATCH',
    });
  });
});

describe('ES256 (P-256)', () => {
  async function p256Keys() {
    const keys = manager(createMemoryKeyStore());
    const pems = await newKeyPems('ES256');
    await keys.storeKeyPair('es', pems.privateKey, pems.publicKey);
    return { keys, pems };
  }

  it('the key the JWK Set advertises as ES256 is the key signJwt signs with; jose and verifyJwt accept the token', async () => {
    const { keys } = await p256Keys();
    const response = await createJwksHandler(keys, { keyIds: ['es'] })(new Request('http://x/jwks'));
    const jwks = (await response.json()) as { keys: { alg: string; kid: string; crv: string }[] };
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256' })]);
    const token = await signJwt(keys, 'es', { scope: 'read' }, { audience: 'peer' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: jwks.keys[0]!.kid, typ: 'JWT' });
    expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(64); // r || s, not DER
    const viaJose = await jwtVerify(token, createLocalJWKSet(jwks as never), {
      audience: 'peer',
      issuer: 'es',
    });
    expect(viaJose.payload.scope).toBe('read');
    const ours = await verifyJwt(keys, token, { audience: 'peer' });
    expect(ours).toMatchObject({ keyId: 'es', kid: jwks.keys[0]!.kid, payload: { scope: 'read' } });
  });

  it('a jose-made ES256 token verifies here; ES384 or an EdDSA header on the P-256 key does not', async () => {
    const { keys, pems } = await p256Keys();
    const kid = (await keys.getPublicKeyPair('es')).kid;
    const token = await new SignJWT({ iss: 'es' })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(createPrivateKey(pems.privateKey));
    expect((await verifyJwt(keys, token)).payload.iss).toBe('es');
    const [, payload, signature] = token.split('.');
    await expect(
      verifyJwt(keys, `${b64({ alg: 'ES384', kid })}.${payload}.${signature}`),
    ).rejects.toMatchObject({
      code: 'ALG_REFUSED',
    });
    await expect(
      verifyJwt(keys, `${b64({ alg: 'EdDSA', kid })}.${payload}.${signature}`),
    ).rejects.toMatchObject({
      code: 'ALG_MISMATCH',
    });
  });
});

describe('RFC 9864: the fully specified Ed25519 alg', () => {
  it('verifies beside EdDSA for an Ed25519 key, with and without kid; refused for an RSA key', async () => {
    const keys = manager(createMemoryKeyStore());
    await keys.generateKeyPair('ed');
    const pair = await keys.getKeyPair('ed');
    for (const header of [{ alg: 'Ed25519', kid: pair.kid }, { alg: 'Ed25519' }]) {
      const token = await new SignJWT({ iss: 'ed' })
        .setProtectedHeader(header)
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(createPrivateKey(pair.privateKey));
      const result = await verifyJwt(keys, token);
      expect(result).toMatchObject({ keyId: 'ed', kid: pair.kid, protectedHeader: { alg: 'Ed25519' } });
    }
    await keys.generateKeyPair('rsa', { algorithm: 'RS256' });
    const rsaKid = (await keys.getPublicKeyPair('rsa')).kid;
    const now = Math.floor(Date.now() / 1000);
    const input = `${b64({ alg: 'Ed25519', kid: rsaKid })}.${b64({ iss: 'rsa', iat: now, exp: now + 60 })}`;
    await expect(verifyJwt(keys, `${input}.${'A'.repeat(86)}`)).rejects.toMatchObject({
      code: 'ALG_MISMATCH',
    });
  });
});
