// Version stages across rotations, compare-and-set losers, and idempotent retries (ClientRequestToken),
// checked against moto by looking at the secret's labels with a plain SDK client.
import { DescribeSecretCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { KeyManager } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_GRACE_VERSIONS } from '../src/grace.js';
import { createAwsKeyStore } from '../src/index.js';
import { ed25519Pems, freshId } from './helpers/keys.js';
import { requireMoto } from './helpers/moto.js';
import { countRequests, loseFirstAnswer, plainClient } from './helpers/sdk.js';

requireMoto();

const prefix = `${freshId('versions')}/`;
const sdk = plainClient();
const store = createAwsKeyStore({ prefix });

afterAll(async () => {
  for (const id of await store.listKeyIds()) await store.deleteKeyPair(id, { destroy: true });
  await store.close();
  sdk.destroy();
});

/** version id -> labels, as Secrets Manager reports them (labelled versions only). */
async function labels(keyId: string): Promise<Record<string, string[]>> {
  const out = await sdk.send(new DescribeSecretCommand({ SecretId: prefix + keyId }));
  return Object.fromEntries(
    Object.entries(out.VersionIdsToStages ?? {}).map(([id, l]) => [id, [...l].sort()]),
  );
}

/** Every version, deprecated (unlabelled) ones included. */
async function allVersionIds(keyId: string): Promise<string[]> {
  const out = await sdk.send(
    new ListSecretVersionIdsCommand({ SecretId: prefix + keyId, IncludeDeprecated: true }),
  );
  return (out.Versions ?? []).map((v) => v.VersionId ?? '');
}

describe('version stages across rotations', () => {
  it('each rotation makes the new key AWSCURRENT and the replaced one AWSPREVIOUS; older keys keep a grace label', async () => {
    const keyId = freshId('rotations');
    const manager = new KeyManager({ store, env: {}, rotationGracePeriodMs: 3_600_000 });
    const generated = await manager.generateKeyPair(keyId);
    const v0 = (await store.getKeyPair(keyId))?.version as string;
    const signedByFirst = await manager.sign(keyId, 'payload');
    expect(await labels(keyId)).toEqual({ [v0]: ['AWSCURRENT'] });

    const seen = [{ version: v0, publicKey: generated.publicKey }];
    for (let i = 1; i <= 3; i++) {
      const rotated = await manager.rotateKeyPair(keyId);
      const current = await store.getKeyPair(keyId);
      expect(current?.publicKey).toBe(rotated.keyPair.publicKey);
      seen.push({ version: current?.version as string, publicKey: rotated.keyPair.publicKey });
      const now = seen[i]!;
      const before = seen[i - 1]!;

      const stages = await labels(keyId);
      expect(stages[now.version]).toContain('AWSCURRENT');
      expect(stages[before.version]).toEqual(['AWSPREVIOUS']);
      // Exactly one AWSCURRENT and one AWSPREVIOUS; AWSPENDING, if left, rests on the current version.
      const holders = (label: string) => Object.keys(stages).filter((id) => stages[id]!.includes(label));
      expect(holders('AWSCURRENT')).toEqual([now.version]);
      expect(holders('AWSPREVIOUS')).toEqual([before.version]);
      expect(holders('AWSPENDING').filter((id) => id !== now.version)).toEqual([]);
      // Every older key holds one grace label, and nothing else.
      for (const older of seen.slice(0, i - 1)) {
        expect(stages[older.version]).toEqual([expect.stringMatching(/^phlow-grace-\d+-/)]);
      }

      // Every key so far, newest first, each with its createdAt.
      const versions = await store.getKeyVersions(keyId);
      expect(versions.map((v) => [v.version, v.current, v.publicKey])).toEqual(
        [...seen].reverse().map((s, n) => [s.version, n === 0, s.publicKey]),
      );
      for (const v of versions) expect(v.createdAt).toBeInstanceOf(Date);
    }
    // Three rotations in a row: all four keys are returned, and the first one still verifies within the grace.
    expect(await store.getKeyVersions(keyId)).toHaveLength(4);
    expect(await manager.verify(keyId, 'payload', signedByFirst)).toBe(true);
  });

  it('keeps at most MAX_GRACE_VERSIONS grace labels, dropping the oldest', async () => {
    const keyId = freshId('bounded');
    const first = ed25519Pems();
    await store.storeKeyPair(keyId, first.privateKey, first.publicKey);
    const rotations = MAX_GRACE_VERSIONS + 3;
    const written = [first.publicKey];
    for (let i = 0; i < rotations; i++) {
      const next = ed25519Pems();
      await store.storeKeyPair(keyId, next.privateKey, next.publicKey);
      written.push(next.publicKey);
    }
    const versions = await store.getKeyVersions(keyId);
    // Current, previous and MAX_GRACE_VERSIONS older ones: the newest ones, in order.
    expect(versions.map((v) => v.publicKey)).toEqual(written.reverse().slice(0, MAX_GRACE_VERSIONS + 2));
    const graceLabels = Object.values(await labels(keyId))
      .flat()
      .filter((l) => l.startsWith('phlow-grace-'));
    expect(graceLabels).toHaveLength(MAX_GRACE_VERSIONS);
  });

  it('a deleted key written anew does not bring its old versions back', async () => {
    const keyId = freshId('revived');
    for (let i = 0; i < 3; i++) {
      const p = ed25519Pems();
      await store.storeKeyPair(keyId, p.privateKey, p.publicKey);
    }
    expect(await store.getKeyVersions(keyId)).toHaveLength(3);
    await store.deleteKeyPair(keyId);
    const fresh = ed25519Pems();
    await store.storeKeyPair(keyId, fresh.privateKey, fresh.publicKey, { expectedVersion: null });
    expect((await store.getKeyVersions(keyId)).map((v) => v.publicKey)).toEqual([fresh.publicKey]);
  });

  it('a stale compare-and-set write fails before writing anything', async () => {
    const keyId = freshId('cas-stale');
    const base = ed25519Pems();
    await store.storeKeyPair(keyId, base.privateKey, base.publicKey);
    const v1 = (await store.getKeyPair(keyId))?.version as string;
    const next = ed25519Pems();
    await store.storeKeyPair(keyId, next.privateKey, next.publicKey, { expectedVersion: v1 });
    const stale = ed25519Pems();
    await expect(
      store.storeKeyPair(keyId, stale.privateKey, stale.publicKey, { expectedVersion: v1 }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await allVersionIds(keyId)).toHaveLength(2);
  });

  it('concurrent compare-and-set losers leave unlabelled versions that are never returned', async () => {
    const keyId = freshId('cas-losers');
    const base = ed25519Pems();
    await store.storeKeyPair(keyId, base.privateKey, base.publicKey);
    const v1 = (await store.getKeyPair(keyId))?.version as string;
    const contenders = Array.from({ length: 6 }, () => ed25519Pems());
    const results = await Promise.allSettled(
      contenders.map((p) => store.storeKeyPair(keyId, p.privateKey, p.publicKey, { expectedVersion: v1 })),
    );
    const winner = contenders[results.findIndex((r) => r.status === 'fulfilled')]!;
    const current = (await store.getKeyPair(keyId))?.version as string;
    const stages = await labels(keyId);
    for (const id of await allVersionIds(keyId)) {
      // No stray AWSPENDING on a loser (a rotation tool would take it for a rotation in progress).
      if (id !== v1 && id !== current) expect(stages[id] ?? [], id).toEqual([]);
    }
    expect((await store.getKeyVersions(keyId)).map((v) => v.publicKey)).toEqual([
      winner.publicKey,
      base.publicKey,
    ]);
  });

  it('expectedVersion of a version that was never current is CONFLICT', async () => {
    const keyId = freshId('cas-unknown');
    const pair = ed25519Pems();
    await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    await expect(
      store.storeKeyPair(keyId, pair.privateKey, pair.publicKey, {
        expectedVersion: '00000000-0000-4000-8000-000000000000',
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(
      store.storeKeyPair(freshId('cas-missing'), pair.privateKey, pair.publicKey, { expectedVersion: 'v1' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('idempotent retries (ClientRequestToken)', () => {
  it('a PutSecretValue whose answer was lost is retried with the same token: one new version', async () => {
    const client = plainClient();
    const counts = countRequests(client);
    const retrying = createAwsKeyStore({ prefix, client });
    const keyId = freshId('retry-put');
    const first = ed25519Pems();
    const second = ed25519Pems();
    await retrying.storeKeyPair(keyId, first.privateKey, first.publicKey);
    loseFirstAnswer(client, 'PutSecretValue');
    counts.clear();
    await retrying.storeKeyPair(keyId, second.privateKey, second.publicKey);
    expect(counts.get('PutSecretValue')).toBe(2); // sent twice...
    expect(await allVersionIds(keyId)).toHaveLength(2); // ...stored once
    expect((await retrying.getKeyPair(keyId))?.publicKey).toBe(second.publicKey);
    client.destroy();
  });

  it('a CreateSecret whose answer was lost is retried with the same token: no "already exists", one version', async () => {
    const client = plainClient();
    const counts = countRequests(client);
    const retrying = createAwsKeyStore({ prefix, client });
    const keyId = freshId('retry-create');
    const pair = ed25519Pems();
    loseFirstAnswer(client, 'CreateSecret');
    await retrying.storeKeyPair(keyId, pair.privateKey, pair.publicKey, { expectedVersion: null });
    expect(counts.get('CreateSecret')).toBe(2);
    expect(await allVersionIds(keyId)).toHaveLength(1);
    expect((await retrying.getKeyPair(keyId))?.publicKey).toBe(pair.publicKey);
    client.destroy();
  });

  it('an UpdateSecretVersionStage whose answer was lost still succeeds (not a false CONFLICT)', async () => {
    // The retried stage move finds AWSCURRENT already on the new version and is refused, as if another
    // writer had won: the store checks which version is current before it reports CONFLICT.
    const client = plainClient();
    const counts = countRequests(client);
    const retrying = createAwsKeyStore({ prefix, client });
    const keyId = freshId('retry-move');
    const first = ed25519Pems();
    const second = ed25519Pems();
    await retrying.storeKeyPair(keyId, first.privateKey, first.publicKey);
    const v1 = (await retrying.getKeyPair(keyId))?.version as string;
    loseFirstAnswer(client, 'UpdateSecretVersionStage');
    counts.clear();
    await retrying.storeKeyPair(keyId, second.privateKey, second.publicKey, { expectedVersion: v1 });
    expect(counts.get('UpdateSecretVersionStage')).toBe(2);
    expect((await retrying.getKeyPair(keyId))?.publicKey).toBe(second.publicKey);
    expect((await retrying.getKeyVersions(keyId)).map((v) => v.publicKey)).toEqual([
      second.publicKey,
      first.publicKey,
    ]);
    client.destroy();
  });
});
