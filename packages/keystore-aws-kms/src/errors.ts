/**
 * AWS KMS failures mapped to KeyStoreError codes: the one place that knows what a KMS exception name means.
 * Only the exception's name and KMS's message text are kept (never the request, which holds the message).
 */
import { KeyStoreError, type KeyStoreErrorCode } from '@phlow/keys-core';
import { TYPE } from './aliases.js';

const CODES: Readonly<Record<string, [KeyStoreErrorCode, string]>> = {
  AccessDeniedException: [
    'ACCESS_DENIED',
    'the AWS credentials are not allowed to do this: see the minimal IAM policy in the README',
  ],
  UnrecognizedClientException: [
    'ACCESS_DENIED',
    'AWS does not recognise the credentials: check AWS_ACCESS_KEY_ID / the profile',
  ],
  InvalidSignatureException: [
    'ACCESS_DENIED',
    'AWS refused the request signature: check the secret key and the clock',
  ],
  NotFoundException: ['NOT_FOUND', 'KMS has no such key or alias'],
  KMSInvalidStateException: ['NOT_FOUND', 'the KMS key is disabled or pending deletion'],
  DisabledException: ['NOT_FOUND', 'the KMS key is disabled'],
  AlreadyExistsException: ['CONFLICT', 'another process created this version first'],
  // An alias of this store pointed at a key it did not create (symmetric, or for encryption): that id only.
  UnsupportedOperationException: [
    'UNSUPPORTED',
    'the KMS key behind this id is not an asymmetric signing key: point its aliases at keys this store created, or delete the id',
  ],
  InvalidKeyUsageException: [
    'UNSUPPORTED',
    'the KMS key behind this id is not a SIGN_VERIFY key: point its aliases at keys this store created, or delete the id',
  ],
  LimitExceededException: ['UNAVAILABLE', 'a KMS quota was reached: raise it or retry later'],
  ThrottlingException: ['UNAVAILABLE', 'KMS is throttling requests: retry later'],
  KMSInternalException: ['UNAVAILABLE', 'KMS failed: retry later'],
  DependencyTimeoutException: ['UNAVAILABLE', 'KMS timed out: retry later'],
};

export function toKeyStoreError(error: unknown, doing: string, keyId?: string): KeyStoreError {
  if (error instanceof KeyStoreError) return error;
  const e = (error ?? {}) as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const said = typeof e.message === 'string' ? e.message.slice(0, 200) : '';
  const [code, hint] =
    CODES[name] ??
    ((e.$metadata?.httpStatusCode ?? 0) >= 500 || /Timeout|ECONN|ENOTFOUND|socket/i.test(`${name} ${said}`)
      ? ([
          'UNAVAILABLE',
          'KMS is unreachable: check the network, AWS_REGION and AWS_ENDPOINT_URL_KMS',
        ] as const)
      : (['INVALID_CONFIG', 'check the request settings'] as const));
  return new KeyStoreError(code, `${doing} failed (${name}${said ? `: ${said}` : ''}): ${hint}`, {
    storeType: TYPE,
    keyId,
    cause: new Error(`${name}: ${said}`),
  });
}
