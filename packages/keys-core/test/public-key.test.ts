import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  assertPublicKeyPem,
  checkKeyPair,
  createMemoryKeyStore,
  KeyManager,
  KeyPair,
  newEd25519Pems,
  publicKeyPemToJwk,
} from '../src/index.js';
import { publicPemProblem } from '../src/public-pem.js';

const ed = newEd25519Pems();
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: { export(o: object): string | Buffer }, type: string) =>
  String(key.export({ format: 'pem', type }));
const bodyOf = (p: string) => p.split('\n').filter((l) => l && !l.startsWith('-----'));
const derOf = (p: string) => bodyOf(p).join('');
const relabel = (p: string, label: string) =>
  `-----BEGIN ${label}-----\n${bodyOf(p).join('\n')}\n-----END ${label}-----\n`;

/** Every private form we know of, each passed where a public key belongs. */
const PRIVATE_AS_PUBLIC: [string, string][] = [
  ['an Ed25519 PKCS#8 private key', ed.privateKey],
  ['an RSA PKCS#1 private key', pem(rsa.privateKey, 'pkcs1')],
  ['an RSA PKCS#8 private key', pem(rsa.privateKey, 'pkcs8')],
  ['an EC SEC1 private key', pem(ec.privateKey, 'sec1')],
  ['a public key followed by the private key', ed.publicKey + ed.privateKey],
  ['the private key followed by the public key', ed.privateKey + ed.publicKey],
  ['a PKCS#8 body under a PUBLIC KEY label', relabel(ed.privateKey, 'PUBLIC KEY')],
  [
    'an RSA private body under an RSA PUBLIC KEY label',
    relabel(pem(rsa.privateKey, 'pkcs1'), 'RSA PUBLIC KEY'),
  ],
  ['a lower-case private label', ed.privateKey.toLowerCase()],
];

function secretsIn(privatePem: string): string[] {
  return bodyOf(privatePem).filter((line) => line.length > 16);
}

describe('a private key is never accepted as the public half', () => {
  it.each(PRIVATE_AS_PUBLIC)(
    'checkKeyPair refuses %s as the public key, without echoing it',
    (_label, value) => {
      const error = (() => {
        try {
          checkKeyPair(ed.privateKey, value, 'agent');
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(error).toMatchObject({ code: 'INVALID_KEY', keyId: 'agent' });
      const printed = `${error!.message} ${error!.stack} ${JSON.stringify(error)} ${inspect(error)}`;
      for (const line of [...secretsIn(value), ...secretsIn(ed.privateKey)])
        expect(printed).not.toContain(line);
    },
  );

  it('the plain (priv, priv) pair of the issue is refused, and so is publicKeyPemToJwk of a private key', () => {
    expect(() => checkKeyPair(ed.privateKey, ed.privateKey)).toThrow(/is a private key or holds one/);
    expect(() => publicKeyPemToJwk(ed.privateKey)).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
  });

  it('KeyManager.storeKeyPair refuses it and stores nothing', async () => {
    const store = createMemoryKeyStore();
    const km = new KeyManager({ store, env: {} });
    await expect(km.storeKeyPair('agent', ed.privateKey, ed.privateKey)).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    expect(await store.getPublicKey('agent')).toBeNull();
  });

  it('accepts every real public form: SPKI (Ed25519, RSA, EC), PKCS#1 RSA, CRLF line ends, surrounding blank lines', () => {
    const rsaPub = pem(rsa.publicKey, 'spki');
    expect(checkKeyPair(ed.privateKey, ed.publicKey)).toBe('ed25519');
    expect(checkKeyPair(pem(rsa.privateKey, 'pkcs8'), rsaPub)).toBe('rsa');
    expect(checkKeyPair(pem(rsa.privateKey, 'pkcs1'), pem(rsa.publicKey, 'pkcs1'))).toBe('rsa');
    expect(checkKeyPair(pem(ec.privateKey, 'sec1'), pem(ec.publicKey, 'spki'))).toBe('ec');
    expect(checkKeyPair(ed.privateKey, `\n${ed.publicKey.replace(/\n/g, '\r\n')}  \n`)).toBe('ed25519');
  });

  it('refuses anything that is not exactly one public key block (two keys, trailing text, bare base64)', () => {
    const other = newEd25519Pems();
    for (const value of [
      ed.publicKey + other.publicKey,
      `${ed.publicKey}trailing text`,
      `comment\n${ed.publicKey}`,
      derOf(ed.publicKey),
      relabel(ed.publicKey, 'CERTIFICATE'),
      '',
    ]) {
      expect(publicPemProblem(value), JSON.stringify(value.slice(0, 40))).toBe('not-public-pem');
      expect(() => assertPublicKeyPem(value)).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
    }
  });

  it('judges truncated and corrupted DER without throwing anything but INVALID_KEY', () => {
    const der = Buffer.from(derOf(ed.publicKey), 'base64');
    for (let cut = 0; cut < der.length; cut++) {
      const value = relabel(`x\n${der.subarray(0, cut).toString('base64')}\nx`, 'PUBLIC KEY');
      expect(publicPemProblem(value)).toBe('not-public-pem');
    }
    for (let i = 0; i < der.length; i++) {
      const bent = Buffer.from(der);
      bent[i] = bent[i]! ^ 0xff;
      expect(() => publicPemProblem(relabel(`x\n${bent.toString('base64')}\nx`, 'PUBLIC KEY'))).not.toThrow();
    }
  });
});

describe('a stored pair whose public half is a private key is never printed', () => {
  it.each(PRIVATE_AS_PUBLIC)(
    'reading %s as the public half is INVALID_KEY naming the id and the fix',
    async (_l, value) => {
      const store = createMemoryKeyStore();
      // Written behind KeyManager's back, as an older version, another tool or a Python agent could have.
      await store.storeKeyPair('agent', ed.privateKey, value);
      const km = new KeyManager({ store, env: {} });
      const error = await km.getKeyPair('agent').then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toMatchObject({ code: 'INVALID_KEY', keyId: 'agent' });
      expect(error!.message).toMatch(/store the pair "agent" again/);
      const printed = `${error!.message} ${error!.stack} ${JSON.stringify(error)} ${inspect(error)}`;
      for (const line of secretsIn(value)) expect(printed).not.toContain(line);
      await expect(km.jwks(['agent'])).rejects.toMatchObject({ code: 'INVALID_KEY' });
      await expect(km.sign('agent', 'x')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    },
  );

  it('a KeyPair cannot be built around such a value, so toJSON, inspect, toString and publicKey cannot leak it', () => {
    expect(() => new KeyPair('agent', ed.privateKey, ed.privateKey)).toThrow(
      expect.objectContaining({ code: 'INVALID_KEY' }),
    );
    const good = new KeyPair('agent', ed.privateKey, ed.publicKey);
    const printed = `${JSON.stringify(good)} ${inspect(good)} ${String(good)} ${good.publicKey}`;
    for (const line of secretsIn(ed.privateKey)) expect(printed).not.toContain(line);
  });

  it('does not echo an id that breaks the key-id rule (it could be a PEM passed in the wrong place)', () => {
    const error = (() => {
      try {
        new KeyPair(ed.privateKey, ed.privateKey, ed.privateKey);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toContain('<id>');
    for (const line of secretsIn(ed.privateKey)) expect(error?.message).not.toContain(line);
  });
});
