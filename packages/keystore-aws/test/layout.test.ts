// The layout shared with the Python Phlow (secret `phlow/<id>`, SecretString JSON with private_key /
// public_key), checked both ways against moto: with a plain SDK client and with boto3, the library the
// Python Phlow used. Also: what a broken secret reads as, and which names listKeyIds accepts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { isKeyStoreError, KeyManager } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsKeyStore } from '../src/index.js';
import { ed25519Pems, freshId } from './helpers/keys.js';
import { motoPython, requireMoto } from './helpers/moto.js';
import { plainClient } from './helpers/sdk.js';

requireMoto();

const run = promisify(execFile);
const sdk = plainClient();
const store = createAwsKeyStore(); // default prefix: phlow/
const created: string[] = [];

afterAll(async () => {
  for (const name of created) {
    await sdk
      .send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }))
      .catch(() => {});
  }
  sdk.destroy();
  await store.close();
});

/** Runs Python with boto3 (moto's venv) against the same endpoint; prints what the script prints. */
async function python(script: string, input: Record<string, string>): Promise<string> {
  const { stdout } = await run(motoPython(), ['-c', script], {
    env: { ...process.env, ...input },
  });
  return stdout.trim();
}

/** What the Python Phlow's AWSSecretsManagerKeyStore did: create_secret / get_secret_value with json. */
const BOTO3_STORE = `
import boto3, json, os
client = boto3.client("secretsmanager", region_name=os.environ["AWS_REGION"], endpoint_url=os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"])
client.create_secret(Name=f"phlow/{os.environ['KEY_ID']}", SecretString=json.dumps({"private_key": os.environ["PRIV"], "public_key": os.environ["PUB"]}))
`;
const BOTO3_READ = `
import boto3, json, os
client = boto3.client("secretsmanager", region_name=os.environ["AWS_REGION"], endpoint_url=os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"])
secret = json.loads(client.get_secret_value(SecretId=f"phlow/{os.environ['KEY_ID']}")["SecretString"])
print(json.dumps([secret["private_key"], secret["public_key"]]))
`;

describe('layout shared with the Python Phlow', () => {
  it('reads a key pair that boto3 stored the way the Python Phlow did', async () => {
    const keyId = freshId('from-boto3');
    const pair = ed25519Pems();
    created.push(`phlow/${keyId}`);
    await python(BOTO3_STORE, { KEY_ID: keyId, PRIV: pair.privateKey, PUB: pair.publicKey });
    expect(await store.getKeyPair(keyId)).toMatchObject(pair);
    // and it can be rotated in place
    const manager = new KeyManager({ store, env: {} });
    const rotated = await manager.rotateKeyPair(keyId);
    expect((await store.getKeyPair(keyId))?.publicKey).toBe(rotated.keyPair.publicKey);
    expect((await store.getKeyVersions(keyId)).map((v) => v.publicKey)).toEqual([
      rotated.keyPair.publicKey,
      pair.publicKey,
    ]);
  });

  it('stores a key pair that boto3 reads the way the Python Phlow did', async () => {
    const keyId = freshId('to-boto3');
    const pair = ed25519Pems();
    created.push(`phlow/${keyId}`);
    await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    expect(JSON.parse(await python(BOTO3_READ, { KEY_ID: keyId }))).toEqual([
      pair.privateKey,
      pair.publicKey,
    ]);
  });

  it('reads a secret a plain SDK client created (Python json.dumps spacing, extra fields ignored)', async () => {
    const keyId = freshId('from-sdk');
    const pair = ed25519Pems();
    created.push(`phlow/${keyId}`);
    const pythonStyle = `{"private_key": ${JSON.stringify(pair.privateKey)}, "public_key": ${JSON.stringify(pair.publicKey)}, "note": "x"}`;
    await sdk.send(new CreateSecretCommand({ Name: `phlow/${keyId}`, SecretString: pythonStyle }));
    expect(await store.getPrivateKey(keyId)).toBe(pair.privateKey);
    expect(await store.getPublicKey(keyId)).toBe(pair.publicKey);
  });

  it('writes what a plain SDK client reads: the AWSCURRENT version holds the JSON layout', async () => {
    const keyId = freshId('to-sdk');
    const first = ed25519Pems();
    const second = ed25519Pems();
    created.push(`phlow/${keyId}`);
    await store.storeKeyPair(keyId, first.privateKey, first.publicKey);
    const created1 = await sdk.send(new GetSecretValueCommand({ SecretId: `phlow/${keyId}` }));
    expect(JSON.parse(created1.SecretString ?? '')).toEqual({
      private_key: first.privateKey,
      public_key: first.publicKey,
    });
    await store.storeKeyPair(keyId, second.privateKey, second.publicKey);
    // VersionStage named explicitly: after a stage move, moto's default (no stage) read still returns the
    // version that was current before the move, unlike AWS (see README, "moto differences").
    const replaced = await sdk.send(
      new GetSecretValueCommand({ SecretId: `phlow/${keyId}`, VersionStage: 'AWSCURRENT' }),
    );
    expect(JSON.parse(replaced.SecretString ?? '')).toEqual({
      private_key: second.privateKey,
      public_key: second.publicKey,
    });
    const previous = await sdk.send(
      new GetSecretValueCommand({ SecretId: `phlow/${keyId}`, VersionStage: 'AWSPREVIOUS' }),
    );
    expect(JSON.parse(previous.SecretString ?? '').public_key).toBe(first.publicKey);
  });

  it('uses the prefix from PHLOW_AWS_SECRET_PREFIX', async () => {
    const keyId = freshId('prefixed');
    const pair = ed25519Pems();
    const prefixed = createAwsKeyStore({ env: { PHLOW_AWS_SECRET_PREFIX: 'team-a/agents/' } });
    created.push(`team-a/agents/${keyId}`);
    await prefixed.storeKeyPair(keyId, pair.privateKey, pair.publicKey);
    const read = await sdk.send(new GetSecretValueCommand({ SecretId: `team-a/agents/${keyId}` }));
    expect(JSON.parse(read.SecretString ?? '').public_key).toBe(pair.publicKey);
    expect(await store.getPublicKey(keyId)).toBeNull(); // not under phlow/
    await prefixed.close();
  });
});

describe('broken secrets', () => {
  const marker = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-not-a-real-key';

  async function readBroken(secret: { SecretString?: string; SecretBinary?: Uint8Array }) {
    const keyId = freshId('broken');
    created.push(`phlow/${keyId}`);
    await sdk.send(new CreateSecretCommand({ Name: `phlow/${keyId}`, ...secret }));
    const error = await store.getKeyPair(keyId).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isKeyStoreError(error, 'INVALID_KEY'), String(error)).toBe(true);
    const text = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as Error).cause ?? '')}`;
    expect(text).toContain(`phlow/${keyId}`);
    expect(text).not.toContain(marker);
    expect((error as Error).cause).toBeUndefined();
    return (error as Error).message;
  }

  it('malformed JSON is INVALID_KEY naming the secret, never echoing it', async () => {
    expect(await readBroken({ SecretString: `{"private_key": "${marker}` })).toMatch(/not valid JSON/);
  });

  it('JSON without the fields is INVALID_KEY', async () => {
    expect(await readBroken({ SecretString: JSON.stringify({ private_key: marker }) })).toMatch(/public_key/);
    expect(
      await readBroken({ SecretString: JSON.stringify({ privateKey: marker, publicKey: marker }) }),
    ).toMatch(/private_key/);
    expect(await readBroken({ SecretString: JSON.stringify([marker]) })).toMatch(/JSON object/);
  });

  it('a binary secret is INVALID_KEY', async () => {
    expect(await readBroken({ SecretBinary: new TextEncoder().encode(marker) })).toMatch(/binary/);
  });
});

describe('listKeyIds', () => {
  it('lists only valid ids directly under the prefix', async () => {
    const prefix = `${freshId('list')}/`;
    const listing = createAwsKeyStore({ prefix });
    const pair = ed25519Pems();
    await listing.storeKeyPair('b-agent', pair.privateKey, pair.publicKey);
    await listing.storeKeyPair('a-agent', pair.privateKey, pair.publicKey);
    const strays = [
      `${prefix}nested/deeper`,
      `${prefix.toUpperCase()}upper-case-prefix`,
      `${prefix}with+plus`,
    ];
    for (const name of strays) {
      created.push(name);
      await sdk.send(new CreateSecretCommand({ Name: name, SecretString: '{}' }));
    }
    expect(await listing.listKeyIds()).toEqual(['a-agent', 'b-agent']);
    await listing.deleteKeyPair('a-agent', { destroy: true });
    await listing.deleteKeyPair('b-agent', { destroy: true });
    expect(await listing.listKeyIds()).toEqual([]);
    await listing.close();
  });

  it('pages through more than one page of ListSecrets', async () => {
    const prefix = `${freshId('pages')}/`;
    const listing = createAwsKeyStore({ prefix });
    const ids = Array.from({ length: 105 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    // Plain CreateSecret calls: listing is what is under test, and 105 staged writes would only be slower.
    for (const id of ids) {
      created.push(prefix + id);
      await sdk.send(new CreateSecretCommand({ Name: prefix + id, SecretString: '{}' }));
    }
    expect(await listing.listKeyIds()).toEqual(ids);
    await listing.close();
  });
});

describe('overwrites from other tools', () => {
  it('a secret another tool created and updated with plain PutSecretValue reads as its latest value', async () => {
    const keyId = freshId('tool-put');
    const first = ed25519Pems();
    const second = ed25519Pems();
    const name = `phlow/${keyId}`;
    created.push(name);
    const json = (p: typeof first) => JSON.stringify({ private_key: p.privateKey, public_key: p.publicKey });
    await sdk.send(new CreateSecretCommand({ Name: name, SecretString: json(first) }));
    await sdk.send(new PutSecretValueCommand({ SecretId: name, SecretString: json(second) }));
    expect((await store.getKeyPair(keyId))?.publicKey).toBe(second.publicKey);
    expect((await store.getKeyVersions(keyId)).map((v) => [v.publicKey, v.current])).toEqual([
      [second.publicKey, true],
      [first.publicKey, false],
    ]);
  });
});
