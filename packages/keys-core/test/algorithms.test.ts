// The algorithm table (algorithms.ts) and where it is applied: every key type it names signs, verifies and
// publishes alike, and a key it refuses is refused by KeyManager.sign, KeyManager.verify and the JWK Set alike.
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ALGORITHMS,
  algorithmOfJws,
  isKeyAlgorithm,
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  keyAlgorithm,
  newKeyPems,
} from '../src/algorithms.js';
import { createMemoryKeyStore, jwkThumbprint, KeyManager, KeyPair, PublicKeyPair } from '../src/index.js';
import { ed25519PrivateKeyToPem, ed25519PublicKeyToPem } from '../src/pem.js';
import { signWith, verifyWith } from '../src/signer.js';
import vectors from './fixtures/ed25519-vectors.json' with { type: 'json' };

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const pemPair = (type: 'rsa' | 'ec', options: Record<string, unknown>) =>
  generateKeyPairSync(type as 'rsa', {
    ...(options as { modulusLength: number }),
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
const manager = () => new KeyManager({ store: createMemoryKeyStore(), env: {} });

// The forged pair of the issue: a small-order public key (OpenSSL before 3.6 accepts it, and with it the
// signature R = identity, S = 0 for every message) next to some valid private key, written into the store
// around KeyManager (storeKeyPair would refuse a pair whose halves do not match).
const forged = vectors.edgeCases.tests.find((c) => c.comment.startsWith('small-order public key'))!;
const SOME_PRIVATE = ed25519PrivateKeyToPem(hex(vectors.rfc8032.tests[0]!.secret));
const SMALL_ORDER_PUBLIC = ed25519PublicKeyToPem(hex(forged.publicKey));

describe('the table', () => {
  it('names one row per KeyAlgorithm, with its JWS algs, JWK members and minimum size', () => {
    expect(KEY_ALGORITHMS).toEqual(['EdDSA', 'ES256', 'RS256']);
    expect(ALGORITHMS.EdDSA).toMatchObject({ keyName: 'Ed25519', jwk: { kty: 'OKP', crv: 'Ed25519' } });
    expect(ALGORITHMS.ES256).toMatchObject({ keyName: 'P-256', jwk: { kty: 'EC', crv: 'P-256' } });
    expect(ALGORITHMS.RS256).toMatchObject({ keyName: 'RSA', jwk: { kty: 'RSA' }, minBits: 2048 });
    expect(algorithmOfJws('EdDSA')).toBe('EdDSA');
    expect(algorithmOfJws('Ed25519')).toBe('EdDSA'); // RFC 9864's fully specified name
    expect(algorithmOfJws('ES256')).toBe('ES256');
    expect(algorithmOfJws('RS256')).toBe('RS256');
    for (const refused of ['none', 'HS256', 'ES384', 'PS256', 'constructor', '__proto__', undefined, 1]) {
      expect(algorithmOfJws(refused)).toBeUndefined();
    }
    expect(isKeyAlgorithm('ES256')).toBe(true);
    expect(isKeyAlgorithm('toString')).toBe(false);
  });

  it.each(KEY_ALGORITHMS)(
    'newKeyPems(%s): a fresh pair that signs, verifies and publishes as its alg',
    async (alg) => {
      const pems = await newKeyPems(alg);
      expect(pems.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(pems.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      const pair = new KeyPair('k', pems.privateKey, pems.publicKey);
      expect(pair.alg).toBe(alg);
      expect(pair.jwk).toMatchObject({ ...ALGORITHMS[alg].jwk, alg, use: 'sig' });
      const message = new TextEncoder().encode('hello');
      const signature = signWith(pair, message);
      expect(verifyWith(pair, message, signature)).toBe(true);
      expect(verifyWith(pair, new TextEncoder().encode('hellO'), signature)).toBe(false);
      expect(verifyWith(new PublicKeyPair('k', pems.publicKey), message, signature)).toBe(true);
    },
    30_000,
  );

  it('newKeyPems refuses an algorithm outside the table with UNSUPPORTED', async () => {
    for (const alg of ['HS256', 'ES384', 'toString', undefined]) {
      await expect(newKeyPems(alg as KeyAlgorithm)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    }
  });

  it('refuses other key types and curves with UNSUPPORTED, naming what is accepted, never the key', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const ed448 = generateKeyPairSync('ed448').publicKey;
    for (const key of [p384, ed448]) {
      expect(() => keyAlgorithm(key, 'agent')).toThrow(
        expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringMatching(/P-256 \(ES256\)/) }),
      );
    }
  });
});

describe('ES256: P-256 end to end in core', () => {
  const p256 = pemPair('ec', { namedCurve: 'P-256' });

  it('signs in JWS form (r || s, 64 bytes), which node:crypto checks as ieee-p1363 and refuses as DER', async () => {
    const keys = manager();
    await keys.storeKeyPair('es', p256.privateKey, p256.publicKey);
    const signature = await keys.sign('es', 'payload');
    expect(signature).toHaveLength(64);
    const key = { key: p256.publicKey, dsaEncoding: 'ieee-p1363' } as const;
    expect(nodeVerify('sha256', Buffer.from('payload'), key, signature)).toBe(true);
    expect(await keys.verify('es', 'payload', signature)).toBe(true);
    expect(await keys.verify('es', 'payloaD', signature)).toBe(false);
    // A DER signature of the same message is not the JWS form: refused, never thrown.
    const der = nodeSign('sha256', Buffer.from('payload'), p256.privateKey);
    expect(await keys.verify('es', 'payload', der)).toBe(false);
  });

  it('publishes an EC JWK (crv P-256, x, y, alg ES256) whose kid is its RFC 7638 thumbprint', async () => {
    const keys = manager();
    await keys.storeKeyPair('es', p256.privateKey, p256.publicKey);
    const [jwk] = (await keys.jwks(['es'])).keys;
    const { x, y } = createPublicKey(p256.publicKey).export({ format: 'jwk' });
    expect(jwk).toEqual({ kty: 'EC', crv: 'P-256', x, y, alg: 'ES256', use: 'sig', kid: jwk?.kid });
    // RFC 7638 section 3.2, written out: crv, kty, x, y in that order, no whitespace.
    const canonical = `{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`;
    expect(jwk?.kid).toBe(createHash('sha256').update(canonical).digest('base64url'));
    expect(jwkThumbprint({ kty: 'EC', crv: 'P-256', x, y })).toBe(jwk?.kid);
  });

  it('generateKeyPair through newKeyPems("ES256") stores a pair KeyManager reads back as ES256', async () => {
    const keys = manager();
    const { privateKey, publicKey } = await newKeyPems('ES256');
    await keys.storeKeyPair('fresh', privateKey, publicKey);
    const pair = await keys.getKeyPair('fresh');
    expect(pair.alg).toBe('ES256');
    expect(await keys.verify('fresh', 'm', await keys.sign('fresh', 'm'))).toBe(true);
  });
});

// Measured on main: each of these disagreed between KeyManager, the JWK Set and keys-jwt.
describe('a key the table refuses is refused everywhere in core', () => {
  it('RSA-1024: KeyManager.sign refuses it (UNSUPPORTED) and KeyManager.verify accepts none of its signatures', async () => {
    const weak = pemPair('rsa', { modulusLength: 1024 });
    const keys = manager();
    await keys.storeKeyPair('weak', weak.privateKey, weak.publicKey); // readable: older deployments have them
    await expect(keys.sign('weak', 'x')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/RSA-1024, under the 2048-bit minimum/),
    });
    const signature = nodeSign('sha256', Buffer.from('x'), weak.privateKey);
    expect(await keys.verify('weak', 'x', signature)).toBe(false);
    expect((await keys.jwks(['weak'])).keys).toEqual([]);
    expect((await keys.getPublicKeyPair('weak')).jwk.alg).toBeUndefined();
  });

  it('a small-order Ed25519 public key in the store: no verify, no JWK Set entry, no signing', async () => {
    const store = createMemoryKeyStore();
    await store.storeKeyPair('forged', SOME_PRIVATE, SMALL_ORDER_PUBLIC);
    const keys = new KeyManager({ store, env: {} });
    expect(await keys.verify('forged', Buffer.from(forged.msg, 'hex'), hex(forged.sig))).toBe(false);
    expect(await keys.verify('forged', 'admin: true', hex(forged.sig))).toBe(false);
    expect((await keys.jwks(['forged'])).keys).toEqual([]);
    const pair = await keys.getPublicKeyPair('forged');
    expect(() => pair.alg).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
    await expect(keys.sign('forged', 'x')).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });

  it('a P-384 key: refused by sign, by verify and by the JWK Set, with one message', async () => {
    const p384 = pemPair('ec', { namedCurve: 'P-384' });
    const keys = manager();
    await keys.storeKeyPair('p384', p384.privateKey, p384.publicKey);
    await expect(keys.sign('p384', 'x')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const signature = nodeSign('sha384', Buffer.from('x'), {
      key: p384.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    expect(await keys.verify('p384', 'x', signature)).toBe(false);
    expect((await keys.jwks(['p384'])).keys).toEqual([]);
  });

  it('a P-256 public key whose point is not on the curve: node:crypto refuses it, so alg, verify and the JWK Set do (INVALID_KEY)', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = publicKey.export({ type: 'spki', format: 'der' });
    der[der.length - 1]! ^= 1; // y changed: (x, y) is no longer a point of P-256
    const offCurve = `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`;
    const pair = new PublicKeyPair('bad', offCurve);
    expect(() => pair.alg).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
    expect(verifyWith(pair, new Uint8Array(1), new Uint8Array(64))).toBe(false);
    const store = createMemoryKeyStore();
    await store.storeKeyPair('bad', (await newKeyPems('ES256')).privateKey, offCurve);
    const keys = new KeyManager({ store, env: {} });
    // A stored key that does not even parse is a broken store entry: reading the id says so, loudly and alike.
    await expect(keys.verify('bad', 'x', new Uint8Array(64))).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(keys.jwks(['bad'])).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });

  it('a refused key is not sent to a signing backend either', async () => {
    const weak = pemPair('rsa', { modulusLength: 1024 });
    let asked = 0;
    const remote = {
      type: 'hsm',
      async sign() {
        asked++;
        return new Uint8Array(128);
      },
    };
    await expect(
      signWith(new PublicKeyPair('weak', weak.publicKey), new Uint8Array(1), remote),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    expect(asked).toBe(0);
  });
});

describe('PublicKeyPair.alg', () => {
  it('is asked once per pair: the same answer (or the same refusal) every time', async () => {
    const ed = await newKeyPems('EdDSA');
    const pair = new PublicKeyPair('a', ed.publicKey);
    expect(pair.alg).toBe('EdDSA');
    expect(pair.alg).toBe('EdDSA');
    const forgedPair = new PublicKeyPair('f', SMALL_ORDER_PUBLIC);
    let first: unknown;
    try {
      void forgedPair.alg;
    } catch (error) {
      first = error;
    }
    expect(() => forgedPair.alg).toThrow(first as Error);
    expect(String((first as Error).message)).not.toContain(forged.publicKey);
  });
});
