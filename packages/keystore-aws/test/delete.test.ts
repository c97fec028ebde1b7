// Delete with a recovery window, reads while scheduled, restore, forced delete, and writing a deleted id
// again, against moto.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DescribeSecretCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { KeyManager } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsKeyStore } from '../src/index.js';
import { ed25519Pems, freshId } from './helpers/keys.js';
import { motoPython, requireMoto } from './helpers/moto.js';
import { plainClient } from './helpers/sdk.js';

requireMoto();

const prefix = `${freshId('delete')}/`;
const sdk = plainClient();
const store = createAwsKeyStore({ prefix });
const written = new Set<string>();

afterAll(async () => {
  for (const id of written) await store.deleteKeyPair(id, { destroy: true });
  await store.close();
  sdk.destroy();
});

const DAY = 86_400_000;

async function deletionDate(keyId: string): Promise<Date | undefined> {
  return (await sdk.send(new DescribeSecretCommand({ SecretId: prefix + keyId }))).DeletedDate;
}

async function stored(label: string) {
  const keyId = freshId(label);
  written.add(keyId);
  const pair = ed25519Pems();
  await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
  return { keyId, pair };
}

describe('delete with a recovery window', () => {
  it('schedules deletion 30 days out by default; the id then reads as absent everywhere', async () => {
    const { keyId } = await stored('scheduled');
    const before = Date.now();
    await store.deleteKeyPair(keyId);
    const when = await deletionDate(keyId);
    expect(when).toBeInstanceOf(Date);
    expect(Math.round(((when as Date).getTime() - before) / DAY)).toBe(30);
    expect(await store.getKeyPair(keyId)).toBeNull();
    expect(await store.getPrivateKey(keyId)).toBeNull();
    expect(await store.getPublicKey(keyId)).toBeNull();
    expect(await store.getKeyVersions(keyId)).toEqual([]);
    expect(await store.listKeyIds()).not.toContain(keyId);
    // Deleting again keeps the first deletion date.
    await store.deleteKeyPair(keyId);
    expect(await deletionDate(keyId)).toEqual(when);
  });

  it('honours recoveryWindowDays / PHLOW_AWS_RECOVERY_WINDOW_DAYS', async () => {
    const short = createAwsKeyStore({ prefix, env: { PHLOW_AWS_RECOVERY_WINDOW_DAYS: '7' } });
    const { keyId } = await stored('window');
    const before = Date.now();
    await short.deleteKeyPair(keyId);
    expect(Math.round((((await deletionDate(keyId)) as Date).getTime() - before) / DAY)).toBe(7);
    await short.close();
  });

  it('restoreKeyPair brings the key back with its versions', async () => {
    const { keyId, pair } = await stored('restore');
    const next = ed25519Pems();
    await store.storeKeyPair(keyId, next.privateKey, next.publicKey);
    await store.deleteKeyPair(keyId);
    await store.restoreKeyPair(keyId);
    expect((await store.getKeyPair(keyId))?.publicKey).toBe(next.publicKey);
    expect((await store.getKeyVersions(keyId)).map((v) => v.publicKey)).toEqual([
      next.publicKey,
      pair.publicKey,
    ]);
    expect(await deletionDate(keyId)).toBeUndefined();
    await store.restoreKeyPair(keyId); // a live key: no-op
  });

  it('restoreKeyPair of an id that does not exist is NOT_FOUND and says why', async () => {
    await expect(store.restoreKeyPair(freshId('never'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/never created, or deleted beyond recovery/),
    });
  });
});

describe('forced delete (destroy)', () => {
  it('removes the secret beyond recovery', async () => {
    const { keyId } = await stored('destroy');
    await store.deleteKeyPair(keyId, { destroy: true });
    expect(await store.getKeyPair(keyId)).toBeNull();
    await expect(sdk.send(new DescribeSecretCommand({ SecretId: prefix + keyId }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(store.restoreKeyPair(keyId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await store.deleteKeyPair(keyId, { destroy: true }); // missing: no error
  });

  it('also purges a secret already scheduled for deletion', async () => {
    const { keyId } = await stored('destroy-scheduled');
    await store.deleteKeyPair(keyId);
    await store.deleteKeyPair(keyId, { destroy: true });
    await expect(store.restoreKeyPair(keyId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('writing an id that is scheduled for deletion', () => {
  it('stores the new key and never trusts the deleted one again', async () => {
    const { keyId, pair: deleted } = await stored('revive');
    const manager = new KeyManager({ store, env: {}, rotationGracePeriodMs: 3_600_000 });
    const signedByDeleted = await manager.sign(keyId, 'payload');
    await manager.deleteKeyPair(keyId);
    const next = ed25519Pems();
    await store.storeKeyPair(keyId, next.privateKey, next.publicKey);
    expect((await store.getKeyPair(keyId))?.publicKey).toBe(next.publicKey);
    expect((await store.getKeyVersions(keyId)).map((v) => v.publicKey)).toEqual([next.publicKey]);
    expect(await manager.verify(keyId, 'payload', signedByDeleted)).toBe(false);
    expect(await deletionDate(keyId)).toBeUndefined();
    // The deleted key stays in the secret's history, unlabelled, for an operator who needs it back.
    const history = await sdk.send(
      new ListSecretVersionIdsCommand({ SecretId: prefix + keyId, IncludeDeprecated: true }),
    );
    expect(history.Versions).toHaveLength(2);
    expect(deleted.publicKey).not.toBe(next.publicKey);
  });

  it('generateKeyPair (create-only) works on a deleted id', async () => {
    const { keyId } = await stored('revive-generate');
    await store.deleteKeyPair(keyId);
    const manager = new KeyManager({ store, env: {} });
    const generated = await manager.generateKeyPair(keyId);
    expect((await store.getKeyPair(keyId))?.publicKey).toBe(generated.publicKey);
    await expect(manager.generateKeyPair(keyId)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('of concurrent create-only writes to a deleted id exactly one wins', async () => {
    const { keyId } = await stored('revive-race');
    await store.deleteKeyPair(keyId);
    const contenders = Array.from({ length: 4 }, () => ed25519Pems());
    const results = await Promise.allSettled(
      contenders.map((p) => store.storeKeyPair(keyId, p.privateKey, p.publicKey, { expectedVersion: null })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONFLICT' });
    const winner = contenders[results.findIndex((r) => r.status === 'fulfilled')]!;
    expect((await store.getKeyVersions(keyId)).map((v) => v.publicKey)).toEqual([winner.publicKey]);
  });

  it('a create-only write that saw the id deleted does not overwrite a key another writer revived meanwhile', async () => {
    const { keyId, pair: deleted } = await stored('revive-interleaved');
    await store.deleteKeyPair(keyId);
    // Writer B's first DescribeSecret (the one that finds the id deleted) is held until writer A is done.
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = false;
    const clientB = plainClient();
    clientB.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (!held && context.commandName === 'DescribeSecretCommand') {
          held = true;
          await gate;
        }
        return result;
      },
      { step: 'deserialize', name: 'testHoldDescribe', priority: 'low' },
    );
    const storeB = createAwsKeyStore({ prefix, client: clientB });
    const a = ed25519Pems();
    const b = ed25519Pems();
    const writeB = storeB.storeKeyPair(keyId, b.privateKey, b.publicKey, { expectedVersion: null }).then(
      () => 'stored',
      (e: { code?: string }) => e.code,
    );
    while (!held) await new Promise((resolve) => setTimeout(resolve, 5));
    await store.storeKeyPair(keyId, a.privateKey, a.publicKey, { expectedVersion: null });
    release();
    expect(await writeB).toBe('CONFLICT');
    expect((await store.getKeyVersions(keyId)).map((v) => v.publicKey)).toEqual([a.publicKey]);
    expect(deleted.publicKey).not.toBe(a.publicKey);
    clientB.destroy();
  });

  it('a compare-and-set write against a deleted key is CONFLICT', async () => {
    const { keyId } = await stored('revive-cas');
    const version = (await store.getKeyPair(keyId))?.version as string;
    await store.deleteKeyPair(keyId);
    const next = ed25519Pems();
    await expect(
      store.storeKeyPair(keyId, next.privateKey, next.publicKey, { expectedVersion: version }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('listRecoverableKeyIds (for phlow-keys doctor)', () => {
  it('lists the ids scheduled for deletion under the prefix, and none that is live, restored or purged', async () => {
    const own = createAwsKeyStore({ prefix: `${freshId('recoverable')}/` });
    const other = createAwsKeyStore({ prefix: `${freshId('elsewhere')}/` });
    try {
      const ids = ['agent-a', 'agent-b', 'agent-c', 'agent-live'];
      for (const keyId of ids) {
        const pair = ed25519Pems();
        await own.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
        await other.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
      }
      expect(await own.listRecoverableKeyIds()).toEqual([]);
      for (const keyId of ['agent-c', 'agent-a', 'agent-b']) await own.deleteKeyPair(keyId);
      await other.deleteKeyPair('agent-live'); // another prefix: not ours to report
      expect(await own.listRecoverableKeyIds()).toEqual(['agent-a', 'agent-b', 'agent-c']);
      expect(await own.listKeyIds()).toEqual(['agent-live']);

      await own.restoreKeyPair('agent-a');
      await own.deleteKeyPair('agent-b', { destroy: true });
      expect(await own.listRecoverableKeyIds()).toEqual(['agent-c']);
    } finally {
      for (const store of [own, other]) {
        for (const keyId of ['agent-a', 'agent-b', 'agent-c', 'agent-live'])
          await store.deleteKeyPair(keyId, { destroy: true });
        await store.close();
      }
    }
  });
});

describe('what the Python Phlow sees after a delete (README)', () => {
  it('boto3 reads of a key scheduled for deletion raise InvalidRequestException, and its name cannot be created', async () => {
    const { keyId } = await stored('python-sees');
    await store.deleteKeyPair(keyId);
    // The Python Phlow's read (get_secret_value) and create (create_secret), with boto3 against the same moto.
    const script = `
import boto3, os
client = boto3.client("secretsmanager", region_name=os.environ["AWS_REGION"], endpoint_url=os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"])
for call in (lambda: client.get_secret_value(SecretId=os.environ["NAME"]), lambda: client.create_secret(Name=os.environ["NAME"], SecretString="{}")):
    try:
        call()
        print("ok")
    except client.exceptions.ClientError as e:
        print(e.response["Error"]["Code"])
`;
    const { stdout } = await promisify(execFile)(motoPython(), ['-c', script], {
      env: { ...process.env, NAME: prefix + keyId },
    });
    const [read, create] = stdout.trim().split('\n');
    expect(read).toBe('InvalidRequestException');
    expect(create).not.toBe('ok'); // moto: ResourceExistsException, AWS: InvalidRequestException
    expect(await store.listRecoverableKeyIds()).toContain(keyId);
  });
});
