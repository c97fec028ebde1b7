/**
 * Every AWS SDK and network error the store can meet, mapped to a KeyStoreError code in one place.
 *
 * SDK errors can carry the raw HTTP response (`$response`) and, for a write, the request that held the key,
 * so they are never attached as they are: the cause kept for debugging is a fresh Error with the AWS error
 * name, the service's own message (AWS never echoes a secret value in one), the HTTP status, the request id
 * and the attempt count. Errors of unknown shape keep only their name.
 */
import { KeyStoreError, type KeyStoreErrorCode } from '@phlow/keys-core';

export const STORE_TYPE = 'aws';

interface AwsLikeError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
}

const endpoints = new WeakMap<object, string>();

/** Remembers which endpoint a failed request went to, so that UNAVAILABLE can name it. */
export function rememberEndpoint(error: unknown, endpoint: string): void {
  if (typeof error === 'object' && error !== null && !endpoints.has(error)) endpoints.set(error, endpoint);
}

/** The name of the error a request ends with when its total deadline passes (secrets.ts). */
const DEADLINE = 'PhlowRequestDeadline';

/** The error for a request aborted at its deadline; keeps the endpoint the aborted request went to. */
export function deadlineExceeded(error: unknown, ms: number): Error {
  const exceeded = Object.assign(new Error(`no complete answer within the deadline of ${ms} ms`), {
    name: DEADLINE,
    code: DEADLINE,
  });
  const endpoint = typeof error === 'object' && error !== null ? endpoints.get(error) : undefined;
  if (endpoint) endpoints.set(exceeded, endpoint);
  return exceeded;
}

const nameOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as AwsLikeError).name === 'string'
    ? ((error as AwsLikeError).name as string)
    : '';

const messageOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as AwsLikeError).message === 'string'
    ? ((error as AwsLikeError).message as string)
    : '';

/**
 * A service message fit to show. Validation messages quote the offending value ("Value '...' at
 * 'secretString' failed to satisfy constraint"), which for a write is the key: those are withheld.
 */
function safeMessage(message: string): string {
  if (/value '|value "|begin|private|secretstring|public_key/i.test(message)) {
    return '(message withheld: it may quote request data)';
  }
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

/** The secret does not exist (never created, or deleted beyond recovery). */
export const isNotFound = (error: unknown): boolean => nameOf(error) === 'ResourceNotFoundException';

/** CreateSecret found a secret of that name (on moto also one scheduled for deletion). */
export const isAlreadyExists = (error: unknown): boolean => nameOf(error) === 'ResourceExistsException';

/**
 * The secret is scheduled for deletion. AWS says "... because it was marked for deletion" (and, on
 * CreateSecret, "... already scheduled for deletion"); moto says "... currently marked deleted".
 */
export const isScheduledForDeletion = (error: unknown): boolean =>
  nameOf(error) === 'InvalidRequestException' &&
  /marked (for )?delet|scheduled for delet/i.test(messageOf(error));

/** UpdateSecretVersionStage refused because RemoveFromVersionId no longer holds the stage: someone else moved it. */
export const isStageMismatch = (error: unknown): boolean => nameOf(error) === 'InvalidParameterException';

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'ExpiredTokenException',
  'ExpiredToken',
  'MissingAuthenticationToken',
  'NotAuthorized',
  'DecryptionFailure',
  'EncryptionFailure',
]);
const UNAVAILABLE = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServiceError',
  'InternalFailure',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** A copy of the error that is safe to keep as a cause: no response body, no request. */
function safeCause(error: unknown): Error {
  const e = (typeof error === 'object' && error !== null ? error : {}) as AwsLikeError;
  const name = nameOf(error) || 'Error';
  // Service exceptions ($fault) and Node network errors (code) have messages of their own making. Anything
  // else (a SyntaxError while parsing a response, say) may quote the body, which can hold a key.
  const known =
    name !== 'SyntaxError' &&
    (e.$fault !== undefined ||
      typeof e.code === 'string' ||
      name === 'CredentialsProviderError' ||
      messageOf(error) === 'Region is missing');
  const cause = new Error(
    known ? safeMessage(messageOf(error)) : `${name} (details withheld: it may echo request data)`,
  );
  cause.name = name;
  const meta = e.$metadata;
  Object.assign(cause, {
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(meta?.httpStatusCode !== undefined ? { httpStatusCode: meta.httpStatusCode } : {}),
    ...(meta?.requestId !== undefined ? { requestId: meta.requestId } : {}),
    ...(meta?.attempts !== undefined ? { attempts: meta.attempts } : {}),
  });
  return cause;
}

export interface ErrorContext {
  /** What the store was doing, as a verb phrase: "read", "store", "delete", ... */
  readonly action: string;
  readonly keyId?: string | undefined;
  readonly secretName?: string | undefined;
}

/** Maps any error thrown by the SDK (or the network under it) to a KeyStoreError. KeyStoreErrors pass through. */
export function toKeyStoreError(error: unknown, context: ErrorContext): KeyStoreError {
  if (nameOf(error) === 'KeyStoreError') return error as KeyStoreError;
  const name = nameOf(error);
  const code = (error as AwsLikeError | null)?.code;
  const status = (error as AwsLikeError | null)?.$metadata?.httpStatusCode;
  const awsMessage = safeMessage(messageOf(error));
  const secret = context.secretName ? `secret "${context.secretName}"` : 'Secrets Manager';
  const endpoint = typeof error === 'object' && error !== null ? endpoints.get(error) : undefined;
  const at = endpoint ? ` at ${endpoint}` : '';
  const make = (c: KeyStoreErrorCode, message: string) =>
    new KeyStoreError(c, message, { storeType: STORE_TYPE, keyId: context.keyId, cause: safeCause(error) });

  if (name === DEADLINE) {
    return make(
      'UNAVAILABLE',
      `cannot ${context.action} ${secret}: Secrets Manager${at} did not finish answering (${awsMessage}). Retry later; check the endpoint and the network, or raise PHLOW_AWS_REQUEST_DEADLINE_MS`,
    );
  }
  if (isNotFound(error)) {
    return make(
      'NOT_FOUND',
      `${secret} does not exist: check the key id and the prefix (PHLOW_AWS_SECRET_PREFIX)`,
    );
  }
  if (isScheduledForDeletion(error)) {
    return make(
      'NOT_FOUND',
      `cannot ${context.action} ${secret}: it is scheduled for deletion. Restore it with restoreKeyPair("${context.keyId ?? '<id>'}") or \`aws secretsmanager restore-secret --secret-id ${context.secretName ?? '<name>'}\``,
    );
  }
  if (name === 'DecryptionFailure' || name === 'EncryptionFailure') {
    const verb = name === 'DecryptionFailure' ? 'decrypt' : 'encrypt';
    return make(
      'ACCESS_DENIED',
      `cannot ${context.action} ${secret}: Secrets Manager could not ${verb} it with its KMS key. Check that the key is enabled and that this identity may use it (kms:${verb === 'decrypt' ? 'Decrypt' : 'GenerateDataKey'})`,
    );
  }
  if (ACCESS_DENIED.has(name) || status === 401 || status === 403) {
    return make(
      'ACCESS_DENIED',
      `cannot ${context.action} ${secret}: AWS refused the credentials (${name || status}). Check the IAM policy (secretsmanager:GetSecretValue, PutSecretValue, CreateSecret, ...) and the credentials the SDK picked up (AWS_PROFILE, AWS_ACCESS_KEY_ID, role)`,
    );
  }
  if (name === 'CredentialsProviderError') {
    return make(
      'INVALID_CONFIG',
      'no AWS credentials found: configure the standard chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an IAM role) or pass your own client',
    );
  }
  if (awsMessage === 'Region is missing') {
    return make('INVALID_CONFIG', 'no AWS region configured: set AWS_REGION or pass the region option');
  }
  if (
    UNAVAILABLE.has(name) ||
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    (status ?? 0) >= 500
  ) {
    const what =
      typeof code === 'string' && NETWORK_CODES.has(code)
        ? code
        : UNAVAILABLE.has(name)
          ? name
          : `HTTP ${status}`;
    return make(
      'UNAVAILABLE',
      `cannot ${context.action} ${secret}: Secrets Manager${at} is unreachable or overloaded (${what}). Retry later; check the endpoint (AWS_ENDPOINT_URL_SECRETS_MANAGER), the network and the region`,
    );
  }
  if (
    name === 'InvalidParameterException' ||
    name === 'ValidationException' ||
    name === 'InvalidRequestException'
  ) {
    return make(
      'INVALID_CONFIG',
      `cannot ${context.action} ${secret}: Secrets Manager rejected the request (${name}: ${awsMessage}). Check the options kmsKeyId, tags and prefix`,
    );
  }
  if (name === 'LimitExceededException') {
    return make(
      'UNAVAILABLE',
      `cannot ${context.action} ${secret}: an AWS quota was reached (${awsMessage})`,
    );
  }
  return make(
    'UNAVAILABLE',
    `cannot ${context.action} ${secret}: unexpected error from Secrets Manager${at} (${name || 'unknown'}${status ? `, HTTP ${status}` : ''})`,
  );
}
