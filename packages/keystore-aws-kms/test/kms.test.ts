/**
 * What is the KMS store's own, on ministack's KMS: retired versions are scheduled for deletion in KMS, the
 * alias of the next version is a compare-and-set (of 4 concurrent rotations exactly one wins), key ids with
 * `.` and `_` round-trip through alias names, KMS's 4096-byte message limit is a clear error, and the
 * refusals name KMS. The signer contract (create, sign, rotate, retire, KeyManager's staged rotation and
 * grace, no private key anywhere) is the testkit's signer group, run on ministack by conformance.test.ts.
 */

import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { DescribeKeyCommand, KMSClient, ListAliasesCommand } from '@aws-sdk/client-kms';
import { isKeyStoreError, KeyManager } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeId, encodeId } from '../src/aliases.js';
import provider, { createAwsKmsKeyStore } from '../src/index.js';
import { derToJose } from '../src/key-specs.js';
import { resolveKmsConfig } from '../src/options.js';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (isKeyStoreError(e) ? e.code : String(e)),
  );
const uid = (label: string) =>
  `kms-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const message = new TextEncoder().encode('hello from an agent');

describe('aws_kms store on ministack', () => {
  const store = createAwsKmsKeyStore();
  const kms = new KMSClient({});
  afterAll(async () => {
    await store.close();
    kms.destroy();
  });

  it('ids round-trip through alias names', () => {
    for (const id of ['a', 'a.b', 'a_b', 'a__d', 'a_d', 'x.y_z-1']) expect(decodeId(encodeId(id))).toBe(id);
    expect(encodeId('a.b')).not.toBe(encodeId('a_b'));
  });

  it('retirement deletes the old alias and schedules its KMS key for deletion; messages over 4096 bytes are refused', async () => {
    const keyId = uid('retire.x');
    await store.createKey(keyId);
    const aliases = (await kms.send(new ListAliasesCommand({ Limit: 100 }))).Aliases ?? [];
    const v1 = aliases.find((a) => a.AliasName === `alias/phlow/${encodeId(keyId)}/v1`)?.TargetKeyId;
    expect(v1, 'version 1 is a KMS key behind alias/phlow/<encoded id>/v1').toBeDefined();
    await store.rotateKey(keyId, { expectedVersion: '1' });
    await store.retireVersions(keyId, { keepFrom: '2' });
    const state = (await kms.send(new DescribeKeyCommand({ KeyId: v1 }))).KeyMetadata?.KeyState;
    expect(state).toBe('PendingDeletion');
    expect(await code(store.sign(keyId, message, { version: '1' }))).toBe('NOT_FOUND');
    expect(await code(store.sign(keyId, new Uint8Array(4097)))).toBe('UNSUPPORTED');
    expect((await store.sign(keyId, new Uint8Array(4096))).length, 'exactly 4096 bytes still sign').toBe(64);
    const said = await store.getPrivateKey(keyId).catch((e: Error) => e.message);
    expect(said).toMatch(/never leaves AWS KMS \(KMS keys cannot be exported; it signs inside KMS\)/);
    const noPair = await store.storeKeyPair(keyId, 'x', 'y').catch((e: Error) => e.message);
    expect(noPair).toMatch(/AWS KMS makes its keys itself and this store sends it no key material/);
    await store.deleteKeyPair(keyId);
    expect(await store.getPublicKey(keyId)).toBeNull();
  });

  it('the provider checks the settings at start-up: ministack answers, a dead endpoint or a bad option is refused', async () => {
    const started = await provider.create();
    expect(started.type).toBe('aws_kms');
    await started.close();
    // A loopback port with nothing listening: refused at once, so the retries take no time worth a deadline.
    const dead = provider.create({ endpoint: 'http://127.0.0.1:9', timeoutMs: 2_000 });
    expect(await code(dead)).toBe('UNAVAILABLE');
    await expect(provider.create({ deletionWindowDays: 3 })).rejects.toThrow(/7 to 30/);
  });

  it('of 4 concurrent rotations of one version exactly one wins; the losers leave no version behind', async () => {
    const keyId = uid('race');
    await store.createKey(keyId);
    const stores = [1, 2, 3, 4].map(() => createAwsKmsKeyStore());
    const outcomes = await Promise.all(stores.map((s) => code(s.rotateKey(keyId, { expectedVersion: '1' }))));
    expect(outcomes.filter((o) => o === 'ok').length, outcomes.join(', ')).toBe(1);
    expect(outcomes.filter((o) => o === 'CONFLICT').length, outcomes.join(', ')).toBe(3);
    expect((await store.getPublicKeyVersions(keyId)).map((v) => v.version)).toEqual(['2', '1']);
    expect((await store.sign(keyId, message)).length).toBe(64);
    await Promise.all(stores.map((s) => s.close()));
    await store.deleteKeyPair(keyId);
  });
});

describe('aws_kms settings', () => {
  it('refuses bad numbers as INVALID_CONFIG naming the variable (PHLOW_AWS_KMS_MAX_ATTEMPTS=-5 was accepted before)', () => {
    for (const [name, value] of [
      ['PHLOW_AWS_KMS_MAX_ATTEMPTS', '-5'],
      ['PHLOW_AWS_KMS_MAX_ATTEMPTS', '11'],
      ['PHLOW_AWS_KMS_TIMEOUT_MS', '-5'],
      ['PHLOW_AWS_KMS_TIMEOUT_MS', 'soon'],
      ['PHLOW_AWS_KMS_DEADLINE_MS', '0'],
      ['PHLOW_AWS_KMS_DELETION_DAYS', '3'],
    ] as const) {
      const failure = (() => {
        try {
          createAwsKmsKeyStore({ env: { [name]: value } });
        } catch (error) {
          return error;
        }
      })();
      expect(isKeyStoreError(failure, 'INVALID_CONFIG'), `${name}=${value}`).toBe(true);
      expect((failure as Error).message).toContain(name);
    }
    expect(() => createAwsKmsKeyStore({ maxAttempts: 0, env: {} })).toThrow(/option maxAttempts/);
  });

  it('takes the retry count from the option or PHLOW_AWS_KMS_MAX_ATTEMPTS', () => {
    expect(resolveKmsConfig({ env: {} }).maxAttempts).toBe(3);
    expect(resolveKmsConfig({ env: { PHLOW_AWS_KMS_MAX_ATTEMPTS: '5' } }).maxAttempts).toBe(5);
    expect(resolveKmsConfig({ maxAttempts: 1, env: { PHLOW_AWS_KMS_MAX_ATTEMPTS: '5' } }).maxAttempts).toBe(
      1,
    );
    // The total deadline defaults to every attempt's time limit.
    expect(resolveKmsConfig({ timeoutMs: 2000, env: {} }).deadlineMs).toBe(6000);
    expect(resolveKmsConfig({ env: { PHLOW_AWS_KMS_DEADLINE_MS: '4500' } }).deadlineMs).toBe(4500);
  });
});

describe('ES256 (P-256) on KMS', () => {
  const store = createAwsKmsKeyStore();
  afterAll(() => store.close());

  it('derToJose turns a DER ECDSA signature into r || s, and refuses anything else', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 20; i++) {
      const der = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
      const jose = derToJose(der, 32);
      expect(jose?.length).toBe(64);
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose!)).toBe(true);
    }
    expect(derToJose(new Uint8Array(64), 32)).toBeUndefined();
    expect(derToJose(Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01), 32)).toBeUndefined();
  });

  it('creates an ES256 key when asked, signs in JWS form, and a rotation keeps P-256', async () => {
    const keyId = uid('es256');
    await store.createKey(keyId, { algorithm: 'ES256' });
    const [v1] = await store.getPublicKeyVersions(keyId);
    const key = createPublicKey(v1!.publicKey);
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const signature = await store.sign(keyId, message);
    expect(signature.length).toBe(64);
    expect(verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);

    await store.rotateKey(keyId, { expectedVersion: '1' });
    const [v2] = await store.getPublicKeyVersions(keyId);
    expect(v2?.version).toBe('2');
    expect(createPublicKey(v2!.publicKey).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const again = await store.sign(keyId, message, { version: '2' });
    expect(verify('sha256', message, { key: v2!.publicKey, dsaEncoding: 'ieee-p1363' }, again)).toBe(true);
    await store.deleteKeyPair(keyId);
  });

  it('KeyManager over an ES256 store (PHLOW_AWS_KMS_ALGORITHM=ES256): creates, signs ES256, verifies, rotates', async () => {
    const es = createAwsKmsKeyStore({ env: { ...process.env, PHLOW_AWS_KMS_ALGORITHM: 'ES256' } });
    const keys = new KeyManager({ store: es, env: {}, rotationDelayMs: 0 });
    const keyId = uid('es256-km');
    await keys.createKey(keyId);
    const signed = await keys.signDetailed(keyId, 'hello');
    expect(signed.alg).toBe('ES256');
    expect(await keys.verify(keyId, 'hello', signed.signature)).toBe(true);
    await keys.rotateKeyPair(keyId);
    const rotated = await keys.signDetailed(keyId, 'hello');
    expect(rotated.alg).toBe('ES256');
    expect(rotated.kid).not.toBe(signed.kid);
    expect(await keys.verify(keyId, 'hello', rotated.signature)).toBe(true);
    await es.deleteKeyPair(keyId);
    await keys.close();
  });

  it('an id deleted and created anew with the other algorithm signs with its new key spec', async () => {
    const keyId = uid('realg');
    await store.createKey(keyId);
    expect((await store.sign(keyId, message)).length).toBe(64);
    await store.deleteKeyPair(keyId);
    await store.createKey(keyId, { algorithm: 'ES256' });
    const [v1] = await store.getPublicKeyVersions(keyId);
    const signature = await store.sign(keyId, message);
    expect(verify('sha256', message, { key: v1!.publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(
      true,
    );
    await store.deleteKeyPair(keyId);
  });

  it('refuses other algorithms', async () => {
    expect(() => createAwsKmsKeyStore({ env: { PHLOW_AWS_KMS_ALGORITHM: 'RS256' } })).toThrow(
      /PHLOW_AWS_KMS_ALGORITHM must be EdDSA/,
    );
    expect(await code(store.createKey(uid('rsa'), { algorithm: 'RS256' as never }))).toBe('UNSUPPORTED');
  });
});
