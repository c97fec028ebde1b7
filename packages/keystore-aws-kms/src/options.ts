/**
 * The KMS store's settings, each from its option or its environment variable through the adapter kit's one
 * rule (a bad value is INVALID_CONFIG naming the variable; `-5` retries are refused, not used).
 */
import type { Env, KeyStoreFactoryOptions } from '@phlow/keys-core';
import { KeyStoreError } from '@phlow/keys-core';
import { intSetting } from '@phlow/keys-core/adapter';
import { TYPE } from './aliases.js';
import { KMS_ALGORITHMS, type KmsAlgorithm } from './key-specs.js';

export interface AwsKmsKeyStoreOptions extends KeyStoreFactoryOptions {
  /** AWS region. Default: the SDK's resolution. Env: `AWS_REGION`. */
  readonly region?: string;
  /** KMS endpoint (an emulator, a VPC endpoint). Default: the SDK's. Env: `AWS_ENDPOINT_URL_KMS`. */
  readonly endpoint?: string;
  /**
   * Time limit of one attempt: to connect, and of silence on the socket. Default: 10000 ms.
   * Env: `PHLOW_AWS_KMS_TIMEOUT_MS`.
   */
  readonly timeoutMs?: number;
  /**
   * Total time limit of one KMS request, retries included: an endpoint that trickles its answer never trips
   * `timeoutMs`, this ends it UNAVAILABLE. Default: `timeoutMs` × `maxAttempts` (30000 ms with the defaults).
   * Env: `PHLOW_AWS_KMS_DEADLINE_MS`.
   */
  readonly deadlineMs?: number;
  /** Attempts per KMS request, the first included (1 to 10). Default: 3. Env: `PHLOW_AWS_KMS_MAX_ATTEMPTS`. */
  readonly maxAttempts?: number;
  /** Days a retired version's KMS key waits before deletion (7 to 30). Default: 7. Env: `PHLOW_AWS_KMS_DELETION_DAYS`. */
  readonly deletionWindowDays?: number;
  /**
   * Algorithm of keys `createKey` makes when the call names none: `EdDSA` (KMS key spec ECC_NIST_EDWARDS25519)
   * or `ES256` (ECC_NIST_P256). Rotations keep the algorithm of the key they rotate. Default: `EdDSA`.
   * Env: `PHLOW_AWS_KMS_ALGORITHM`.
   */
  readonly algorithm?: KmsAlgorithm;
  /**
   * Told about an older version left out of an id's versions because KMS cannot give its public key (the
   * id and version and the error code, never KMS's text). Default: `process.emitWarning`. No env variable.
   */
  readonly onWarning?: (message: string) => void;
}

export interface KmsConfig {
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
  readonly timeoutMs: number;
  readonly deadlineMs: number;
  readonly maxAttempts: number;
  readonly deletionDays: number;
  readonly algorithm: KmsAlgorithm;
  readonly onWarning: (message: string) => void;
}

const DAY_MS = 86_400_000;

export function resolveKmsConfig(options: AwsKmsKeyStoreOptions = {}): KmsConfig {
  const env: Env = options.env ?? process.env;
  const setting = (option: string, min: number, max: number) => ({ option, min, max, storeType: TYPE });
  const timeoutMs = intSetting(
    options.timeoutMs,
    env,
    'PHLOW_AWS_KMS_TIMEOUT_MS',
    10_000,
    setting('timeoutMs', 1, DAY_MS),
  );
  const maxAttempts = intSetting(
    options.maxAttempts,
    env,
    'PHLOW_AWS_KMS_MAX_ATTEMPTS',
    3,
    setting('maxAttempts', 1, 10),
  );
  const algorithm = options.algorithm ?? (env.PHLOW_AWS_KMS_ALGORITHM?.trim() || 'EdDSA');
  if (!KMS_ALGORITHMS.includes(algorithm as KmsAlgorithm)) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `${options.algorithm !== undefined ? 'option algorithm' : 'PHLOW_AWS_KMS_ALGORITHM'} must be EdDSA (Ed25519, the default) or ES256 (P-256)`,
      { storeType: TYPE },
    );
  }
  return {
    onWarning:
      typeof options.onWarning === 'function'
        ? options.onWarning
        : (message) => process.emitWarning(message, { code: 'PHLOW_AWS_KMS_KEY' }),
    algorithm: algorithm as KmsAlgorithm,
    region: options.region ?? env.AWS_REGION,
    endpoint: options.endpoint ?? env.AWS_ENDPOINT_URL_KMS,
    timeoutMs,
    maxAttempts,
    deadlineMs: intSetting(
      options.deadlineMs,
      env,
      'PHLOW_AWS_KMS_DEADLINE_MS',
      timeoutMs * maxAttempts,
      setting('deadlineMs', 1, DAY_MS),
    ),
    deletionDays: intSetting(
      options.deletionWindowDays,
      env,
      'PHLOW_AWS_KMS_DELETION_DAYS',
      7,
      setting('deletionWindowDays', 7, 30),
    ),
  };
}
