// Options and environment variables: defaults, validation at start-up (INVALID_CONFIG naming the setting),
// and the provider the resolver loads. No server needed: nothing here sends a request.
import { KEYSTORE_CONTRACT_VERSION } from '@phlow/keys-core';
import { describe, expect, it } from 'vitest';
import provider, { createAwsKeyStore, DEFAULT_PREFIX } from '../src/index.js';
import { resolveAwsConfig } from '../src/options.js';

describe('defaults', () => {
  it('match the Python Phlow layout and AWS defaults', () => {
    const config = resolveAwsConfig({ env: {} });
    expect(config).toMatchObject({
      prefix: 'phlow/',
      recoveryWindowDays: 30,
      kmsKeyId: undefined,
      tags: [],
      maxAttempts: undefined, // the SDK's default (3) or AWS_MAX_ATTEMPTS
      region: undefined, // the SDK's chain
      endpoint: undefined, // the SDK's AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL
      connectTimeoutMs: 3000,
      requestTimeoutMs: 10000,
      requestDeadlineMs: 30000,
    });
    expect(DEFAULT_PREFIX).toBe('phlow/');
  });
});

describe('environment variables', () => {
  it('are read when the option is not given', () => {
    const config = resolveAwsConfig({
      env: {
        PHLOW_AWS_SECRET_PREFIX: 'prod/phlow/',
        PHLOW_AWS_KMS_KEY_ID: 'alias/phlow',
        PHLOW_AWS_SECRET_TAGS: 'team=agents, env = prod',
        PHLOW_AWS_RECOVERY_WINDOW_DAYS: '7',
        PHLOW_AWS_CONNECT_TIMEOUT_MS: '500',
        PHLOW_AWS_REQUEST_TIMEOUT_MS: '2000',
        PHLOW_AWS_REQUEST_DEADLINE_MS: '9000',
      },
    });
    expect(config).toMatchObject({
      prefix: 'prod/phlow/',
      kmsKeyId: 'alias/phlow',
      tags: [
        { Key: 'team', Value: 'agents' },
        { Key: 'env', Value: 'prod' },
      ],
      recoveryWindowDays: 7,
      connectTimeoutMs: 500,
      requestTimeoutMs: 2000,
      requestDeadlineMs: 9000,
    });
  });

  it('lose to options', () => {
    const config = resolveAwsConfig({
      prefix: '',
      recoveryWindowDays: 14,
      tags: { owner: 'me' },
      env: {
        PHLOW_AWS_SECRET_PREFIX: 'x/',
        PHLOW_AWS_RECOVERY_WINDOW_DAYS: '7',
        PHLOW_AWS_SECRET_TAGS: 'a=b',
      },
    });
    expect(config).toMatchObject({
      prefix: '',
      recoveryWindowDays: 14,
      tags: [{ Key: 'owner', Value: 'me' }],
    });
  });
});

describe('validation', () => {
  it.each([
    [{ env: { PHLOW_AWS_RECOVERY_WINDOW_DAYS: '3' } }, /PHLOW_AWS_RECOVERY_WINDOW_DAYS="3".*from 7 to 30/],
    [{ recoveryWindowDays: 31 }, /recoveryWindowDays="31".*from 7 to 30/],
    [{ env: { PHLOW_AWS_RECOVERY_WINDOW_DAYS: 'thirty' } }, /PHLOW_AWS_RECOVERY_WINDOW_DAYS/],
    [{ prefix: 'phlow keys/' }, /PHLOW_AWS_SECRET_PREFIX/],
    [{ env: { PHLOW_AWS_SECRET_PREFIX: 'a'.repeat(400) } }, /at most 384/],
    [{ env: { PHLOW_AWS_SECRET_TAGS: 'team' } }, /PHLOW_AWS_SECRET_TAGS.*key=value/],
    [{ maxAttempts: 0 }, /maxAttempts="0"/],
    [{ env: { PHLOW_AWS_REQUEST_TIMEOUT_MS: '-1' } }, /PHLOW_AWS_REQUEST_TIMEOUT_MS/],
    [{ env: { PHLOW_AWS_REQUEST_DEADLINE_MS: '0' } }, /PHLOW_AWS_REQUEST_DEADLINE_MS/],
    [{ endpoint: 'localhost:4566' }, /endpoint.*http/],
  ])('%j is INVALID_CONFIG naming the setting', (options, message) => {
    expect(() => createAwsKeyStore({ env: {}, ...options })).toThrow(
      expect.objectContaining({
        name: 'KeyStoreError',
        code: 'INVALID_CONFIG',
        message: expect.stringMatching(message),
      }),
    );
  });

  it('checks key ids before anything is sent', async () => {
    const store = createAwsKeyStore({ env: {}, region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
    await expect(store.getKeyPair('../x')).rejects.toMatchObject({ code: 'INVALID_KEY_ID' });
    await expect(store.restoreKeyPair('a/b')).rejects.toMatchObject({ code: 'INVALID_KEY_ID' });
    await expect(store.getKeyVersions('')).rejects.toMatchObject({ code: 'INVALID_KEY_ID' });
    await expect(store.storeKeyPair('agent', '', 'x')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await store.close();
    await store.close(); // twice is fine
  });
});

describe('provider', () => {
  it('is the default export, type aws, built against this contract', async () => {
    expect(provider.type).toBe('aws');
    expect(provider.contractVersion).toBe(KEYSTORE_CONTRACT_VERSION);
    const store = await provider.create({ env: {}, region: 'us-east-1' });
    expect(store.type).toBe('aws');
    expect(store.capabilities).toEqual({
      write: true,
      readPair: true,
      list: true,
      versions: true,
      activation: true,
    });
    await store.close?.();
  });
});
