// The activation time of a version (capability `activation`), against moto: `activates_at` (ISO 8601, ms
// precision) in the SecretString JSON beside private_key / public_key, read back on getKeyPair and
// getKeyVersions, so that the timeline no longer rests on CreatedDate (second precision). A secret in the
// Python layout (no activates_at, written by a plain client) or with an unparseable one reads without it.
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { KeyManager } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsKeyStore } from '../src/index.js';
import { ed25519Pems, freshId } from './helpers/keys.js';
import { requireMoto } from './helpers/moto.js';
import { plainClient } from './helpers/sdk.js';

requireMoto();
const sdk = plainClient();
const store = createAwsKeyStore();
const created: string[] = [];

afterAll(async () => {
  for (const keyId of created) await store.deleteKeyPair(keyId, { destroy: true }).catch(() => {});
  sdk.destroy();
  await store.close();
});

const fresh = (label: string) => {
  const keyId = freshId(label);
  created.push(keyId);
  return keyId;
};

describe('AWS SecretString activates_at', () => {
  it('declares the activation capability', () => {
    expect(store.capabilities.activation).toBe(true);
  });

  it('a version written with activatesAt reads back with it to the millisecond, on getKeyPair and getKeyVersions', async () => {
    const keyId = fresh('activation');
    const first = ed25519Pems();
    const second = ed25519Pems();
    const at1 = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    const at2 = new Date(at1.getTime() + 5_001);
    await store.storeKeyPair(keyId, first.privateKey, first.publicKey, {
      expectedVersion: null,
      activatesAt: at1,
    });
    const v1 = (await store.getKeyPair(keyId))?.version;
    await store.storeKeyPair(keyId, second.privateKey, second.publicKey, {
      expectedVersion: v1,
      activatesAt: at2,
    });

    expect((await store.getKeyPair(keyId))?.activatesAt?.toISOString()).toBe('2026-01-02T03:04:10.679Z');
    const versions = await store.getKeyVersions(keyId);
    expect(versions.map((v) => [v.current, v.activatesAt?.getTime()])).toEqual([
      [true, at2.getTime()],
      [false, at1.getTime()],
    ]);
    // The secret as AWS holds it: the Python layout's fields, plus activates_at.
    const raw = await sdk.send(
      new GetSecretValueCommand({ SecretId: `phlow/${keyId}`, VersionStage: 'AWSCURRENT' }),
    );
    expect(JSON.parse(raw.SecretString ?? '')).toEqual({
      private_key: second.privateKey,
      public_key: second.publicKey,
      activates_at: '2026-01-02T03:04:10.679Z',
    });
  });

  it('a Python-layout secret (no activates_at) and an unparseable activates_at read without an activation time', async () => {
    const keyId = fresh('python-layout');
    const pair = ed25519Pems();
    const name = `phlow/${keyId}`;
    await sdk.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({ private_key: pair.privateKey, public_key: pair.publicKey }),
      }),
    );
    const python = await store.getKeyPair(keyId);
    expect(python?.publicKey).toBe(pair.publicKey);
    expect(python && 'activatesAt' in python).toBe(false);

    await sdk.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: JSON.stringify({
          private_key: pair.privateKey,
          public_key: pair.publicKey,
          activates_at: 'next tuesday',
        }),
      }),
    );
    const versions = await store.getKeyVersions(keyId);
    expect(versions.map((v) => v.activatesAt)).toEqual([undefined, undefined]);
    await sdk.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
  });

  it('refuses an invalid activatesAt before sending anything (INVALID_CONFIG)', async () => {
    const keyId = fresh('bad-activation');
    const pair = ed25519Pems();
    await expect(
      store.storeKeyPair(keyId, pair.privateKey, pair.publicKey, { activatesAt: new Date(Number.NaN) }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    expect(await store.getKeyPair(keyId)).toBeNull();
  });
});

describe('KeyManager over the AWS store: the timeline decided once', () => {
  it('the activation fixed at rotation is stored to the millisecond; a replica with another delay agrees; rotate now writes once', async () => {
    const keyId = fresh('timeline');
    const rotating = new KeyManager({ store: createAwsKeyStore(), env: {}, rotationDelayMs: 600_000 });
    const old = await rotating.generateKeyPair(keyId);
    const rotation = await rotating.rotateKeyPair(keyId);
    const [newest] = await store.getKeyVersions(keyId);
    // Stored as decided, not derived from CreatedDate (whole seconds on AWS).
    expect(newest?.activatesAt?.getTime()).toBe(rotation.activatesAt.getTime());
    // A replica configured with no delay at all still signs with the previous key: the stored time decides.
    const impatient = new KeyManager({ store: createAwsKeyStore(), env: {}, rotationDelayMs: 0 });
    expect((await impatient.signDetailed(keyId, 'hello')).kid).toBe(old.kid);
    expect((await impatient.getKeyPair(keyId)).kid).toBe(old.kid);
    // An emergency rotation writes the new key once (one version, not the two-write marker).
    const before = (await store.getKeyVersions(keyId)).length;
    const now = await rotating.rotateKeyPair(keyId, { now: true });
    expect((await store.getKeyVersions(keyId)).length).toBe(before + 1);
    const another = new KeyManager({ store: createAwsKeyStore(), env: {}, rotationDelayMs: 600_000 });
    expect((await another.signDetailed(keyId, 'hello')).kid).toBe(now.kid);
    for (const km of [rotating, impatient, another]) await km.close();
  });
});
