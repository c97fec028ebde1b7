/**
 * The options of the AWS Secrets Manager key store, and how each one not given is read from the environment.
 *
 * Two kinds of settings, kept apart on purpose: the AWS SDK's own (region, credentials, endpoint overrides,
 * AWS_MAX_ATTEMPTS) are left to the SDK, which reads them from `process.env` and `~/.aws/config` exactly as
 * the AWS CLI does, so nothing is reimplemented; the store's own (`PHLOW_AWS_*`) are read here from
 * `options.env ?? process.env` and checked once, so a wrong setting fails at start-up with its name.
 */

import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Env, KeyStoreError, type KeyStoreFactoryOptions } from '@phlow/keys-core';
import { intSetting } from '@phlow/keys-core/adapter';

export interface AwsKeyStoreOptions extends KeyStoreFactoryOptions {
  /**
   * Prefix of every secret name: key `my-agent` lives in secret `<prefix>my-agent`.
   * Default: `phlow/` (the Python Phlow's layout). Env: `PHLOW_AWS_SECRET_PREFIX`.
   */
  readonly prefix?: string;
  /** AWS region. Default: the SDK's chain (`AWS_REGION`, then the profile in `~/.aws/config`). Env: `AWS_REGION` (read by the SDK). */
  readonly region?: string;
  /**
   * Secrets Manager endpoint URL, for a VPC endpoint or a local emulator. Default: the SDK's resolution, which
   * honours `AWS_ENDPOINT_URL_SECRETS_MANAGER`, then `AWS_ENDPOINT_URL`, then `endpoint_url` in the profile.
   * Env: those variables (read by the SDK).
   */
  readonly endpoint?: string;
  /** KMS key (id, ARN or alias) that encrypts secrets this store creates. Default: the account's `aws/secretsmanager` key. Env: `PHLOW_AWS_KMS_KEY_ID`. */
  readonly kmsKeyId?: string;
  /** Tags put on secrets this store creates (existing secrets are not retagged). Default: none. Env: `PHLOW_AWS_SECRET_TAGS` as `key=value,key=value`. */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Days a deleted key stays recoverable (`restoreKeyPair`), 7 to 30. `deleteKeyPair(id, { destroy: true })`
   * skips the window. Default: 30 (the AWS default). Env: `PHLOW_AWS_RECOVERY_WINDOW_DAYS`.
   */
  readonly recoveryWindowDays?: number;
  /** Attempts per request, first one included, with the SDK's standard retry mode (backoff, throttling aware). Default: 3. Env: `AWS_MAX_ATTEMPTS` (read by the SDK). */
  readonly maxAttempts?: number;
  /** Time limit to open a connection. Default: 3000 ms. Env: `PHLOW_AWS_CONNECT_TIMEOUT_MS`. */
  readonly connectTimeoutMs?: number;
  /** Time limit of one request attempt once connected. Default: 10000 ms. Env: `PHLOW_AWS_REQUEST_TIMEOUT_MS`. */
  readonly requestTimeoutMs?: number;
  /**
   * Total time limit of one request, the SDK's retries included. The timeouts above are per attempt and reset by
   * every byte received, so an endpoint that trickles its answer never trips them; this does, UNAVAILABLE.
   * Also applies to your own `client`. Default: 30000 ms. Env: `PHLOW_AWS_REQUEST_DEADLINE_MS`.
   */
  readonly requestDeadlineMs?: number;
  /**
   * Your own client. When given, `region`, `endpoint`, `maxAttempts` and the timeouts are ignored (configure
   * them on the client) and `close()` leaves the client open. Default: a client the store creates and closes.
   */
  readonly client?: SecretsManagerClient;
}

/** Everything the store needs, resolved and checked. */
export interface AwsConfig {
  readonly prefix: string;
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
  readonly kmsKeyId: string | undefined;
  readonly tags: ReadonlyArray<{ Key: string; Value: string }>;
  readonly recoveryWindowDays: number;
  readonly maxAttempts: number | undefined;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly requestDeadlineMs: number;
  readonly client: SecretsManagerClient | undefined;
}

export const DEFAULT_PREFIX = 'phlow/';
const DEFAULT_RECOVERY_WINDOW_DAYS = 30;
const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_DEADLINE_MS = 30_000;
/** Characters AWS allows in a secret name. */
const SECRET_NAME_CHARS = /^[A-Za-z0-9/_+=.@-]*$/;
/** AWS allows 512 characters in a name; a key id can take 128 of them. */
const MAX_PREFIX_LENGTH = 512 - 128;

const invalid = (message: string) => new KeyStoreError('INVALID_CONFIG', message, { storeType: 'aws' });

/** The option if given, else a non-empty env variable, else undefined. */
function pick(option: string | undefined, env: Env, name: string): string | undefined {
  if (option !== undefined) return option;
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Parses `key=value,key=value` (PHLOW_AWS_SECRET_TAGS). */
function parseTags(raw: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) {
      throw invalid(
        `PHLOW_AWS_SECRET_TAGS must look like "team=agents,env=prod"; "${part.trim()}" has no key=value`,
      );
    }
    tags[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return tags;
}

export function resolveAwsConfig(options: AwsKeyStoreOptions = {}): AwsConfig {
  const env: Env = options.env ?? process.env;

  const prefix = options.prefix ?? env.PHLOW_AWS_SECRET_PREFIX ?? DEFAULT_PREFIX;
  if (!SECRET_NAME_CHARS.test(prefix) || prefix.length > MAX_PREFIX_LENGTH) {
    throw invalid(
      `secret prefix ${JSON.stringify(prefix.slice(0, 64))} (option prefix / PHLOW_AWS_SECRET_PREFIX) may only use letters, digits and /_+=.@- and at most ${MAX_PREFIX_LENGTH} characters, for example "phlow/"`,
    );
  }

  const tagsRaw = options.tags ?? (env.PHLOW_AWS_SECRET_TAGS ? parseTags(env.PHLOW_AWS_SECRET_TAGS) : {});
  const tags = Object.entries(tagsRaw).map(([Key, Value]) => {
    if (typeof Value !== 'string' || Key === '') {
      throw invalid('tags (option tags / PHLOW_AWS_SECRET_TAGS) must map non-empty keys to string values');
    }
    return { Key, Value };
  });

  const endpoint = options.endpoint;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw invalid(
      `endpoint ${JSON.stringify(endpoint)} must be an http(s) URL, for example "https://secretsmanager.eu-west-1.amazonaws.com"`,
    );
  }

  const setting = (option: string, min = 1, max = Number.MAX_SAFE_INTEGER) => ({
    option,
    min,
    max,
    storeType: 'aws',
  });
  return {
    prefix,
    region: options.region,
    endpoint,
    kmsKeyId: pick(options.kmsKeyId, env, 'PHLOW_AWS_KMS_KEY_ID'),
    tags,
    recoveryWindowDays: intSetting(
      options.recoveryWindowDays,
      env,
      'PHLOW_AWS_RECOVERY_WINDOW_DAYS',
      DEFAULT_RECOVERY_WINDOW_DAYS,
      setting('recoveryWindowDays', 7, 30),
    ),
    // AWS_MAX_ATTEMPTS is the SDK's own variable: it reads it when this is undefined.
    maxAttempts:
      options.maxAttempts === undefined
        ? undefined
        : intSetting(options.maxAttempts, {}, 'AWS_MAX_ATTEMPTS', 0, setting('maxAttempts')),
    connectTimeoutMs: intSetting(
      options.connectTimeoutMs,
      env,
      'PHLOW_AWS_CONNECT_TIMEOUT_MS',
      DEFAULT_CONNECT_TIMEOUT_MS,
      setting('connectTimeoutMs'),
    ),
    requestTimeoutMs: intSetting(
      options.requestTimeoutMs,
      env,
      'PHLOW_AWS_REQUEST_TIMEOUT_MS',
      DEFAULT_REQUEST_TIMEOUT_MS,
      setting('requestTimeoutMs'),
    ),
    requestDeadlineMs: intSetting(
      options.requestDeadlineMs,
      env,
      'PHLOW_AWS_REQUEST_DEADLINE_MS',
      DEFAULT_REQUEST_DEADLINE_MS,
      setting('requestDeadlineMs'),
    ),
    client: options.client,
  };
}
