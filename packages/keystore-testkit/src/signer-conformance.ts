/**
 * The conformance group for stores that sign inside their backend (capability `signer`, contract 1.1):
 * keys are made there, sign there with a chosen version, rotate and retire there, publish their public
 * halves per version, and no call yields a private key. Each test skips itself, visibly, on a store that
 * does not declare the capability; the exportable-store groups skip themselves on one that does.
 *
 * Signatures are checked with node:crypto against the public key the store (or KeyManager's JWK Set)
 * publishes, never with the adapter's own code.
 */
import { createPublicKey, verify } from 'node:crypto';
import { inspect } from 'node:util';
import {
  isKeyStoreError,
  isSignerStore,
  KeyManager,
  type KeyStore,
  type SignerKeyStore,
} from '@phlow/keys-core';
import { expect, it, type TestContext } from 'vitest';
import type { ConformanceContext } from './context.js';
import { label } from './named-store.js';

const message = new TextEncoder().encode('phlow signer conformance');

/** node:crypto's answer for an Ed25519 signature by a public key given as PEM or JWK. */
export function verifiesWith(
  publicKey: string | Record<string, unknown>,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const key =
    typeof publicKey === 'string'
      ? createPublicKey(publicKey)
      : createPublicKey({ key: publicKey, format: 'jwk' });
  return verify(null, data, key, signature);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'succeeded',
    (error: unknown) => (isKeyStoreError(error) ? error.code : `threw ${String(error)}`),
  );
}

function signerOf<S extends KeyStore>(c: ConformanceContext<S>, t: TestContext): SignerKeyStore {
  c.requires(t, 'signer');
  const s = c.store();
  if (!isSignerStore(s)) expect.fail(`${s.type} declares signer but lacks one of its methods`);
  return c.named() as unknown as SignerKeyStore;
}

/**
 * Everything a signer store's caller can print or read, directly or through KeyManager, results and errors
 * alike, as one string: must hold no private key.
 */
async function everythingReadable(s: SignerKeyStore, keyId: string, km: KeyManager): Promise<string> {
  const parts: string[] = [];
  for (const read of [
    () => s.getPrivateKey(keyId),
    () => s.getPublicKey(keyId),
    () => s.getPublicKeyVersions(keyId),
    () => s.storeKeyPair(keyId, 'x', 'y'),
    () => (s.getKeyPair ? s.getKeyPair(keyId) : Promise.resolve(null)),
    () => (s.getKeyVersions ? s.getKeyVersions(keyId) : Promise.resolve([])),
    () => km.getKeyPair(keyId),
    () => km.refresh(keyId),
    () => km.getPublicKeyPair(keyId),
    () => km.rotationState(keyId),
    () => km.jwks([keyId]),
    () => km.getSigningKey(keyId),
  ]) {
    const outcome = await read().then(
      (value) => value,
      (error: unknown) => error,
    );
    parts.push(JSON.stringify(outcome) ?? '', inspect(outcome, { depth: 8, showHidden: true }));
    if (outcome instanceof Error) parts.push(String(outcome.stack), inspect(outcome.cause, { depth: 8 }));
  }
  parts.push(inspect(s, { depth: 8, showHidden: true }));
  return parts.join('\n');
}

export function signerTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('creates a key inside the backend: one current version, CONFLICT on a second create', async (t) => {
    const s = signerOf(c, t);
    const keyId = c.id('sg-create');
    expect(await s.getPublicKeyVersions(keyId), label('getPublicKeyVersions', keyId)).toEqual([]);
    expect(await c.store().getPublicKey(keyId), label('getPublicKey', keyId)).toBeNull();
    await s.createKey(keyId);
    const versions = await s.getPublicKeyVersions(keyId);
    expect(versions.length, 'one version after createKey').toBe(1);
    expect(versions[0]!.current).toBe(true);
    expect(typeof versions[0]!.version).toBe('string');
    expect(versions[0]!.createdAt).toBeInstanceOf(Date);
    expect(createPublicKey(versions[0]!.publicKey).asymmetricKeyType).toBe('ed25519');
    expect(await c.store().getPublicKey(keyId)).toBe(versions[0]!.publicKey);
    expect(await codeOf(c.store().createKey!(keyId)), `${label('createKey', keyId)} again`).toBe('CONFLICT');
    if (c.store().capabilities.list) expect(await s.listKeyIds!()).toContain(keyId);
  });

  it('every method refuses a bad key id with INVALID_KEY_ID before touching the backend', async (t) => {
    signerOf(c, t);
    const s = c.store() as unknown as SignerKeyStore;
    for (const bad of ['../escape', 'a/b', '', 'x\u0000y', 'sys/../../x']) {
      const calls: [string, () => Promise<unknown>][] = [
        ['createKey', () => s.createKey(bad)],
        ['sign', () => s.sign(bad, message)],
        ['getPublicKeyVersions', () => s.getPublicKeyVersions(bad)],
        ['getPublicKey', () => s.getPublicKey(bad)],
        ['getPrivateKey', () => s.getPrivateKey(bad)],
        ['rotateKey', () => s.rotateKey(bad, { expectedVersion: '1' })],
        ['retireVersions', () => s.retireVersions(bad, { keepFrom: '1' })],
        ['deleteKeyPair', () => s.deleteKeyPair(bad)],
      ];
      for (const [name, call] of calls) {
        expect(await codeOf(call()), label(name, bad)).toBe('INVALID_KEY_ID');
      }
    }
  });

  it('signs inside the backend; node:crypto verifies with the published public key', async (t) => {
    const s = signerOf(c, t);
    const keyId = c.id('sg-sign');
    await s.createKey(keyId);
    const signature = await s.sign(keyId, message);
    expect(signature).toBeInstanceOf(Uint8Array);
    expect(signature.length).toBe(64);
    const [current] = await s.getPublicKeyVersions(keyId);
    expect(verifiesWith(current!.publicKey, message, signature), 'verifies with the current public key').toBe(
      true,
    );
    expect(verifiesWith(current!.publicKey, new TextEncoder().encode('other'), signature)).toBe(false);
    expect(await codeOf(c.store().sign!(c.id('sg-missing'), message)), 'sign of a missing id').toBe(
      'NOT_FOUND',
    );
  });

  it('rotates with compare-and-set; each version signs when asked; retired versions cannot sign', async (t) => {
    const s = signerOf(c, t);
    const keyId = c.id('sg-rotate');
    await s.createKey(keyId);
    const [first] = await s.getPublicKeyVersions(keyId);
    await s.rotateKey(keyId, { expectedVersion: first!.version });
    const versions = await s.getPublicKeyVersions(keyId);
    expect(versions.map((v) => v.current)).toEqual([true, false]);
    expect(versions[1]!.version).toBe(first!.version);
    expect(versions[0]!.publicKey).not.toBe(first!.publicKey);
    expect(await c.store().getPublicKey(keyId)).toBe(versions[0]!.publicKey);
    const stale = await codeOf(c.store().rotateKey!(keyId, { expectedVersion: first!.version }));
    expect(stale, 'rotateKey with a version that is no longer current').toBe('CONFLICT');
    expect((await s.getPublicKeyVersions(keyId)).length, 'the refused rotation changed nothing').toBe(2);
    const old = await s.sign(keyId, message, { version: first!.version });
    expect(verifiesWith(first!.publicKey, message, old), 'pinned to the old version').toBe(true);
    const now = await s.sign(keyId, message);
    expect(verifiesWith(versions[0]!.publicKey, message, now), 'current version by default').toBe(true);
    await s.retireVersions(keyId, { keepFrom: versions[0]!.version });
    expect((await s.getPublicKeyVersions(keyId)).map((v) => v.version)).toEqual([versions[0]!.version]);
    const retired = await codeOf(c.store().sign!(keyId, message, { version: first!.version }));
    expect(retired, 'sign with a retired version').toBe('NOT_FOUND');
  });

  it('no call yields a private key: getPrivateKey and storeKeyPair are UNSUPPORTED and say why', async (t) => {
    const s = signerOf(c, t);
    const keyId = c.id('sg-private');
    await s.createKey(keyId);
    const error = await c
      .store()
      .getPrivateKey(keyId)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isKeyStoreError(error, 'UNSUPPORTED'), `${label('getPrivateKey', keyId)} is UNSUPPORTED`).toBe(
      true,
    );
    expect(String((error as Error).message)).toMatch(
      /never leaves|inside|cannot be exported|non-exportable/i,
    );
    expect(await codeOf(c.store().storeKeyPair(keyId, 'x', 'y'))).toBe('UNSUPPORTED');
    const km = new KeyManager({ store: c.store(), rotationDelayMs: 0, rotationGracePeriodMs: 0 });
    const all = await everythingReadable(s, keyId, km);
    expect(all, 'a private key PEM in what the store returns').not.toMatch(/PRIVATE KEY/);
    expect(all, 'a private JWK member in what the store returns').not.toMatch(/"d"\s*:/);
    expect(await codeOf(km.getKeyPair(keyId)), 'KeyManager.getKeyPair').toBe('UNSUPPORTED');
    const pair = await km.getPublicKeyPair(keyId);
    expect('privateKey' in pair, 'the public-only pair has no privateKey').toBe(false);
    expect(await codeOf(km.generateKeyPair(c.id('sg-gen')))).toBe('UNSUPPORTED');
  });

  it('KeyManager on top: createKey, sign, verify, jwks; staged rotation pins the signing version', async (t) => {
    signerOf(c, t);
    const keyId = c.id('sg-km');
    const graceMs = 3_600_000;
    const km = new KeyManager({
      store: c.store(),
      rotationDelayMs: 600_000,
      rotationGracePeriodMs: graceMs,
      cache: { ttlMs: 0 },
    });
    const created = await km.createKey(keyId);
    const before = await km.sign(keyId, message);
    const jwk = (await km.jwks([keyId])).keys.find((k) => k.kid === created.kid);
    expect(jwk, 'the key is in the JWK Set').toBeDefined();
    expect(
      verifiesWith(jwk as unknown as Record<string, unknown>, message, before),
      'node:crypto with the JWK',
    ).toBe(true);
    expect(await km.verify(keyId, message, before)).toBe(true);

    const rotated = await km.rotateKeyPair(keyId);
    expect(rotated.previousKid).toBe(created.kid);
    expect(rotated.activatesAt.getTime()).toBeGreaterThan(Date.now());
    const during = await km.sign(keyId, message);
    expect(
      verifiesWith(created.publicKey, message, during),
      'the previous version signs during the delay',
    ).toBe(true);
    expect((await km.jwks([keyId])).keys.map((k) => k.kid).sort()).toEqual([created.kid, rotated.kid].sort());
    const noDelay = new KeyManager({ store: c.store(), rotationDelayMs: 0, cache: { ttlMs: 0 } });
    const atOnce = await noDelay.sign(keyId, message);
    expect(
      verifiesWith(rotated.keyPair.publicKey, message, atOnce),
      'with no delay the new version signs',
    ).toBe(true);

    const later = new KeyManager({
      store: c.store(),
      rotationDelayMs: 600_000,
      rotationGracePeriodMs: graceMs,
      cache: { ttlMs: 0 },
      now: () => Date.now() + 700_000,
    });
    const after = await later.sign(keyId, message);
    expect(
      verifiesWith(rotated.keyPair.publicKey, message, after),
      'the new version signs after the delay',
    ).toBe(true);
    expect(await later.verify(keyId, message, before), 'a pre-rotation signature verifies in grace').toBe(
      true,
    );

    const pastGrace = new KeyManager({
      store: c.store(),
      rotationDelayMs: 600_000,
      rotationGracePeriodMs: graceMs,
      cache: { ttlMs: 0 },
      now: () => Date.now() + graceMs + 60_000,
    });
    expect(await pastGrace.verify(keyId, message, before), 'and not after the grace period').toBe(false);
    expect((await pastGrace.jwks([keyId])).keys.map((k) => k.kid)).toEqual([rotated.kid]);

    const revoked = await km.rotateKeyPair(keyId, { revokePrevious: true });
    const now = await km.sign(keyId, message);
    expect(
      verifiesWith(revoked.keyPair.publicKey, message, now),
      'after revokePrevious the new key signs at once',
    ).toBe(true);
    expect(await km.verify(keyId, message, before)).toBe(false);
    const left = (await c.store().getPublicKeyVersions!(keyId)).map((v) => v.version);
    expect(left, 'revokePrevious retired every older version in the backend').toEqual([
      revoked.keyPair.version,
    ]);
    expect(typeof created.version, 'the created pair names its version').toBe('string');
    const retired = await codeOf(c.store().sign!(keyId, message, { version: created.version }));
    expect(retired, 'the first version cannot sign after revokePrevious').toBe('NOT_FOUND');
    expect(await codeOf(km.rotateKeyPair(keyId, { now: true })), 'now without revokePrevious').toBe(
      'UNSUPPORTED',
    );
    await km.deleteKeyPair(keyId, { destroy: true });
    expect(await c.store().getPublicKey(keyId)).toBeNull();
  });
}
