// Interop with Python: tokens signed here verify in PyJWT + cryptography (EdDSA, ES256, RS256, by PEM and by our
// JWK Set's kid), RS256 tokens pass the Python Phlow middleware's own verify_token rules, PyJWT-made RS256
// tokens from a Python-generated key (no kid) verify here, and our RSA PEMs are byte for byte what Python's
// cryptography writes. Python comes from the venv tooling/services/python-jwt/install.sh installs (cached).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { INSTALL_TIMEOUT_MS, pythonInterop } from '@phlow/test-support/python';
import { beforeAll, describe, expect, it } from 'vitest';
import { signJwt, verifyJwt } from '../src/index.js';
import { manager } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const interop = pythonInterop({
  installer: join(here, '../../../tooling/services/python-jwt/install.sh'),
  script: join(here, 'python/interop.py'),
});

beforeAll(() => interop.install(), INSTALL_TIMEOUT_MS);

type PyAnswer = { ok: boolean; error?: string; claims?: Record<string, unknown> } & Record<string, unknown>;

const py = (request: Record<string, unknown>) => interop.run<PyAnswer>(request);

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('%s tokens signed here, in PyJWT', (alg) => {
  const keys = manager(createMemoryKeyStore());
  const id = `agent-${alg.toLowerCase()}`;
  beforeAll(async () => {
    await keys.generateKeyPair(id, { algorithm: alg });
  });

  it('verify with the public key PEM, audience and issuer checked', async () => {
    const token = await signJwt(keys, id, { task: 't1' }, { audience: 'peer' });
    const answer = await py({
      cmd: 'verify',
      alg,
      token,
      public_key: (await keys.getKeyPair(id)).publicKey,
      audience: 'peer',
      issuer: id,
    });
    expect(answer).toMatchObject({ ok: true, claims: { task: 't1', iss: id, aud: 'peer' } });
  });

  it('verify with the key our JWK Set publishes under the token kid', async () => {
    const token = await signJwt(keys, id, {}, { audience: 'peer' });
    const answer = await py({ cmd: 'verify', alg, token, jwks: await keys.jwks([id]), audience: 'peer' });
    expect(answer).toMatchObject({ ok: true, claims: { iss: id } });
  });

  it('are refused by PyJWT when tampered (the Python side really checks)', async () => {
    const [h, p, s] = (await signJwt(keys, id, {}, { audience: 'peer' })).split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, aud: 'other' })).toString('base64url')}.${s}`;
    const answer = await py({
      cmd: 'verify',
      alg,
      token: forged,
      public_key: (await keys.getKeyPair(id)).publicKey,
      audience: 'other',
    });
    expect(answer).toEqual({ ok: false, error: 'InvalidSignatureError' });
  });
});

describe('the Python Phlow middleware (verify_token rules)', () => {
  const keys = manager(createMemoryKeyStore());
  beforeAll(async () => {
    await keys.generateKeyPair('ts-agent', { algorithm: 'RS256' });
    await keys.generateKeyPair('ed-agent');
  });

  it('accepts our RS256 token (no aud) with its exact options: algorithms ["RS256"], require exp and iat', async () => {
    const token = await signJwt(keys, 'ts-agent', { sub: 'ts-agent' });
    const answer = await py({
      cmd: 'phlow-verify',
      token,
      public_key: (await keys.getKeyPair('ts-agent')).publicKey,
    });
    expect(answer).toMatchObject({ ok: true, claims: { iss: 'ts-agent', sub: 'ts-agent' } });
  });

  it('refuses our token when it names an aud (PyJWT with no audience configured), as the README says', async () => {
    const token = await signJwt(keys, 'ts-agent', {}, { audience: 'python-agent' });
    const answer = await py({
      cmd: 'phlow-verify',
      token,
      public_key: (await keys.getKeyPair('ts-agent')).publicKey,
    });
    expect(answer).toEqual({ ok: false, error: 'InvalidAudienceError' });
  });

  it('refuses our EdDSA token: it accepts only HS256 and RS256', async () => {
    const token = await signJwt(keys, 'ed-agent');
    const answer = await py({
      cmd: 'phlow-verify',
      token,
      public_key: (await keys.getKeyPair('ed-agent')).publicKey,
    });
    expect(answer).toEqual({ ok: false, error: 'ValueError' });
  });
});

describe('tokens from Python agents', () => {
  it('a PyJWT RS256 token (no kid) from a key Python generated verifies here, once the key is stored', async () => {
    const now = Math.floor(Date.now() / 1000);
    const made = await py({
      cmd: 'sign-rs256',
      claims: { sub: 'py-agent', iss: 'py-agent', iat: now, exp: now + 300 },
    });
    expect(made.ok).toBe(true);
    const keys = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    await keys.storeKeyPair('py-agent', made.private_key as string, made.public_key as string);
    const result = await verifyJwt(keys, made.token as string);
    expect(result.protectedHeader.kid).toBeUndefined();
    expect(result).toMatchObject({
      keyId: 'py-agent',
      payload: { sub: 'py-agent' },
      kid: (await keys.getKeyPair('py-agent')).kid,
    });
  });

  it('a PyJWT ES256 token (no kid) from a P-256 key cryptography generated verifies here', async () => {
    const now = Math.floor(Date.now() / 1000);
    const made = await py({ cmd: 'sign-es256', claims: { iss: 'py-es', iat: now, exp: now + 300 } });
    expect(made.ok).toBe(true);
    const keys = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    await keys.storeKeyPair('py-es', made.private_key as string, made.public_key as string);
    const result = await verifyJwt(keys, made.token as string);
    expect(result).toMatchObject({ keyId: 'py-es', protectedHeader: { alg: 'ES256' } });
    expect(
      await keys.verify(
        'py-es',
        (made.token as string).split('.').slice(0, 2).join('.'),
        Buffer.from((made.token as string).split('.')[2]!, 'base64url'),
      ),
    ).toBe(true);
  });

  it('a Python agent token whose iss is its agent name verifies with keyId and issuer given', async () => {
    const now = Math.floor(Date.now() / 1000);
    const made = await py({
      cmd: 'sign-rs256',
      claims: { sub: 'py-agent', iss: 'Python Agent', iat: now, exp: now + 300 },
    });
    const keys = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    await keys.storeKeyPair('py-agent', made.private_key as string, made.public_key as string);
    await expect(verifyJwt(keys, made.token as string)).rejects.toMatchObject({ code: 'CLAIM_INVALID' });
    await expect(verifyJwt(keys, made.token as string, { keyId: 'py-agent' })).rejects.toMatchObject({
      code: 'ISSUER_MISMATCH',
    });
    const result = await verifyJwt(keys, made.token as string, { keyId: 'py-agent', issuer: 'Python Agent' });
    expect(result.payload.sub).toBe('py-agent');
  });
});

describe("RSA pairs from generateKeyPair({ algorithm: 'RS256' })", () => {
  it("are byte for byte the Python Phlow's layout: RSA-2048, e 65537, unencrypted PKCS#8 and SubjectPublicKeyInfo PEM", async () => {
    const keys = manager(createMemoryKeyStore());
    const pair = await keys.generateKeyPair('rsa', { algorithm: 'RS256' });
    const answer = await py({ cmd: 'pem-layout', private_key: pair.privateKey, public_key: pair.publicKey });
    expect(answer).toEqual({
      ok: true,
      private_key: pair.privateKey,
      public_key: pair.publicKey,
      key_size: 2048,
      public_exponent: 65537,
    });
  });
});
