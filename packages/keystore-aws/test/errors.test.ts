// Error mapping: AWS errors moto cannot produce, answered in process under the real SDK (throttling,
// access denied, KMS failures, garbled answers), and network failures over real sockets (refused, silent).
// The rest of the mapping (not found, scheduled for deletion, conflicts) is proven against moto elsewhere.
import { createServer, type Server, type Socket } from 'node:net';
import { isKeyStoreError, type KeyStoreError } from '@phlow/keys-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsKeyStore } from '../src/index.js';
import { awsError, cannedClient } from './helpers/canned.js';
import { ed25519Pems, pemBody } from './helpers/keys.js';

const pair = ed25519Pems();
const goodValue = (versionId = '11111111-1111-4111-8111-111111111111') => ({
  status: 200,
  body: {
    ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:phlow/agent-AbCdEf',
    Name: 'phlow/agent',
    VersionId: versionId,
    SecretString: JSON.stringify({ private_key: pair.privateKey, public_key: pair.publicKey }),
    VersionStages: ['AWSCURRENT'],
    CreatedDate: 1_700_000_000,
  },
});

async function failure(promise: Promise<unknown>): Promise<KeyStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isKeyStoreError(error), `expected a KeyStoreError, got ${String(error)}`).toBe(true);
  return error as KeyStoreError;
}

/** Everything an error exposes, to check for key material. */
const everything = (error: Error) =>
  `${error.message}\n${error.stack}\n${JSON.stringify(error)}\n${String(error.cause)}\n${JSON.stringify(error.cause)}\n${(error.cause as Error | undefined)?.stack}`;

describe('AWS errors (answered in process)', () => {
  it('throttling is retried by the standard retry mode, then UNAVAILABLE', async () => {
    const { client, calls } = cannedClient(() => awsError(400, 'ThrottlingException', 'Rate exceeded'));
    const store = createAwsKeyStore({ client });
    const error = await failure(store.getKeyPair('agent'));
    expect(calls).toEqual(['GetSecretValue', 'GetSecretValue', 'GetSecretValue']);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(
      /^\[phlow\] \[aws\] cannot read secret "phlow\/agent".*ThrottlingException/,
    );
    expect(error.cause).toMatchObject({ name: 'ThrottlingException', requestId: 'req-3', attempts: 3 });
  });

  it('a throttled read that succeeds on retry returns the key', async () => {
    const { client, calls } = cannedClient((_op, attempt) =>
      attempt === 1 ? awsError(400, 'ThrottlingException', 'Rate exceeded') : goodValue(),
    );
    const store = createAwsKeyStore({ client });
    expect(await store.getKeyPair('agent')).toMatchObject({
      publicKey: pair.publicKey,
      version: expect.any(String),
    });
    expect(calls).toHaveLength(2);
  });

  it('maxAttempts bounds the attempts', async () => {
    const { client, calls } = cannedClient(() => awsError(500, 'InternalServiceError', 'boom'), 5);
    const store = createAwsKeyStore({ client });
    expect((await failure(store.getPublicKey('agent'))).code).toBe('UNAVAILABLE');
    expect(calls).toHaveLength(5);
  });

  it.each([
    [
      'AccessDeniedException',
      'User: arn:aws:iam::1:user/x is not authorized to perform: secretsmanager:GetSecretValue',
    ],
    ['UnrecognizedClientException', 'The security token included in the request is invalid.'],
    ['InvalidSignatureException', 'The request signature we calculated does not match'],
    ['ExpiredTokenException', 'The security token included in the request is expired'],
  ])('%s is ACCESS_DENIED and is not retried', async (type, message) => {
    const { client, calls } = cannedClient(() => awsError(400, type, message));
    const store = createAwsKeyStore({ client });
    const error = await failure(store.getPrivateKey('agent'));
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toMatch(/IAM policy/);
    expect(calls).toHaveLength(1);
  });

  it('a KMS decryption failure is ACCESS_DENIED and names the KMS permission', async () => {
    const { client } = cannedClient(() =>
      awsError(
        400,
        'DecryptionFailure',
        "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
      ),
    );
    const error = await failure(createAwsKeyStore({ client }).getKeyPair('agent'));
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toMatch(/KMS key.*kms:Decrypt/);
  });

  it('a KMS encryption failure on write is ACCESS_DENIED', async () => {
    const { client } = cannedClient(() =>
      awsError(400, 'EncryptionFailure', "Secrets Manager can't encrypt"),
    );
    const error = await failure(
      createAwsKeyStore({ client }).storeKeyPair('agent', pair.privateKey, pair.publicKey),
    );
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toMatch(/kms:GenerateDataKey/);
  });

  it('AWS wording of "scheduled for deletion" reads as absent (moto words it differently)', async () => {
    const { client } = cannedClient(() =>
      awsError(
        400,
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      ),
    );
    const store = createAwsKeyStore({ client });
    expect(await store.getKeyPair('agent')).toBeNull();
    expect(await store.getKeyVersions('agent')).toEqual([]);
  });

  it('a rejected write never echoes the key, even when AWS quotes the request', async () => {
    const echo = `1 validation error detected: Value '${JSON.stringify({ private_key: pair.privateKey })}' at 'secretString' failed to satisfy constraint`;
    const { client } = cannedClient(() => awsError(400, 'ValidationException', echo));
    const error = await failure(
      createAwsKeyStore({ client }).storeKeyPair('agent', pair.privateKey, pair.publicKey),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(everything(error)).not.toContain(pemBody(pair.privateKey));
    expect(everything(error)).toMatch(/withheld/);
  });

  it('a garbled answer to a read never echoes what it held', async () => {
    const { client } = cannedClient(() => ({
      status: 200,
      body: `{"SecretString": "{\\"private_key\\": \\"${pemBody(pair.privateKey)}`,
    }));
    const error = await failure(createAwsKeyStore({ client }).getKeyPair('agent'));
    expect(error.code).toBe('UNAVAILABLE');
    expect(everything(error)).not.toContain(pemBody(pair.privateKey));
    expect((error.cause as { $response?: unknown }).$response).toBeUndefined();
  });
});

describe('network failures (real sockets)', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function listen(onConnection: (socket: Socket) => void): Promise<number> {
    const server = createServer((socket) => {
      sockets.push(socket);
      onConnection(socket);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  it('a refused connection is UNAVAILABLE naming the endpoint', async () => {
    const port = await listen(() => {});
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const store = createAwsKeyStore({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      maxAttempts: 2,
    });
    const error = await failure(store.getKeyPair('agent'));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    await store.close();
  });

  it('an endpoint that accepts and never answers is UNAVAILABLE after the request timeout', async () => {
    const port = await listen(() => {}); // reads nothing, answers nothing
    const store = createAwsKeyStore({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      maxAttempts: 2,
      requestTimeoutMs: 200,
    });
    const error = await failure(store.storeKeyPair('agent', pair.privateKey, pair.publicKey));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    expect(error.message).toMatch(/TimeoutError|ETIMEDOUT/);
    expect(everything(error)).not.toContain(pemBody(pair.privateKey));
    await store.close();
  });

  it('a connection closed mid-answer is UNAVAILABLE', async () => {
    const port = await listen((socket) => socket.once('data', () => socket.destroy()));
    const store = createAwsKeyStore({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      maxAttempts: 2,
    });
    expect((await failure(store.listKeyIds())).code).toBe('UNAVAILABLE');
    await store.close();
  });
});

describe('configuration the SDK cannot find', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  /** No region and no credentials anywhere the SDK looks (env, ~/.aws files, instance metadata). */
  function bareEnvironment(): void {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    process.env.AWS_CONFIG_FILE = '/nonexistent/phlow-test/config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/phlow-test/credentials';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  }

  it('no region is INVALID_CONFIG naming AWS_REGION', async () => {
    bareEnvironment();
    const store = createAwsKeyStore();
    const error = await failure(store.getKeyPair('agent'));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(/AWS_REGION/);
    await store.close();
  });

  it('no credentials is INVALID_CONFIG naming the standard chain', async () => {
    bareEnvironment();
    const store = createAwsKeyStore({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
    const error = await failure(store.getKeyPair('agent'));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(/AWS_ACCESS_KEY_ID.*AWS_PROFILE/);
    await store.close();
  });
});

describe('an endpoint that contradicts itself about whether a secret exists', () => {
  const contradict = (op: string) =>
    op === 'CreateSecret'
      ? awsError(
          400,
          'ResourceExistsException',
          'The operation failed because the secret phlow/agent already exists.',
        )
      : awsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

  it('a create-only write gives up after 3 attempts with UNAVAILABLE, never loops', async () => {
    const { client, calls } = cannedClient(contradict);
    const store = createAwsKeyStore({ client });
    const error = await failure(
      store.storeKeyPair('agent', pair.privateKey, pair.publicKey, { expectedVersion: null }),
    );
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/kept contradicting itself about secret "phlow\/agent".*3 attempts/);
    expect(calls).toEqual(Array.from({ length: 3 }, () => ['CreateSecret', 'DescribeSecret']).flat());
    expect(everything(error)).not.toContain(pemBody(pair.privateKey));
  });

  it('an unconditional write gives up after 3 attempts with UNAVAILABLE, never loops', async () => {
    const { client, calls } = cannedClient(contradict);
    const store = createAwsKeyStore({ client });
    const error = await failure(store.storeKeyPair('agent', pair.privateKey, pair.publicKey));
    expect(error.code).toBe('UNAVAILABLE');
    expect(calls).toEqual(Array.from({ length: 3 }, () => ['PutSecretValue', 'CreateSecret']).flat());
  });
});
