/**
 * PKCS#11 failures mapped to KeyStoreError codes: the one place that knows what a CKR_* return value means.
 * pkcs11js throws Errors whose message starts with the CKR_ name; nothing else of them is kept (no
 * arguments, which could hold the PIN).
 */
import { KeyStoreError, type KeyStoreErrorCode } from '@phlow/keys-core';
import { TYPE } from './type.js';

const CODES: ReadonlyArray<[RegExp, KeyStoreErrorCode, string]> = [
  [
    /CKR_PIN_(INCORRECT|INVALID|LEN_RANGE|EXPIRED|LOCKED)/,
    'ACCESS_DENIED',
    'the token refused the PIN: check {pin} (a locked PIN needs the security officer)',
  ],
  [
    /CKR_USER_NOT_LOGGED_IN|CKR_USER_PIN_NOT_INITIALIZED/,
    'ACCESS_DENIED',
    'the token has no usable user login: initialise its user PIN',
  ],
  [
    /CKR_TOKEN_NOT_PRESENT|CKR_DEVICE_REMOVED|CKR_DEVICE_ERROR|CKR_DEVICE_MEMORY|CKR_SESSION_(CLOSED|HANDLE_INVALID)|CKR_CRYPTOKI_NOT_INITIALIZED/,
    'UNAVAILABLE',
    'the token is not reachable: check that the HSM is connected and retry',
  ],
  [
    /CKR_MECHANISM_INVALID|CKR_DOMAIN_PARAMS_INVALID|CKR_CURVE_NOT_SUPPORTED|CKR_FUNCTION_NOT_SUPPORTED/,
    'UNSUPPORTED',
    'the token does not support the key type (Ed25519: CKM_EC_EDWARDS_KEY_PAIR_GEN / CKM_EDDSA; P-256: CKM_EC_KEY_PAIR_GEN / CKM_ECDSA): use a token or firmware that does, or the other algorithm',
  ],
  [
    /CKR_ATTRIBUTE_READ_ONLY/,
    'UNSUPPORTED',
    "the token does not let the store stamp a new key's CKA_ID once generated: use a token that allows it",
  ],
  [
    /CKR_DEVICE_MEMORY|CKR_HOST_MEMORY/,
    'UNAVAILABLE',
    'the token is out of memory: delete keys no longer used',
  ],
];

/**
 * `pinSource`: where the PIN came from (Pkcs11Config.pinSource), named by a refused-PIN error; without it the
 * error names both settings.
 */
export function toKeyStoreError(
  error: unknown,
  doing: string,
  keyId?: string,
  pinSource = 'PHLOW_PKCS11_PIN_FILE or PHLOW_PKCS11_PIN',
): KeyStoreError {
  if (error instanceof KeyStoreError) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const ckr = /CKR_[A-Z_]+/.exec(raw)?.[0] ?? 'an unknown error';
  for (const [pattern, code, hint] of CODES) {
    if (pattern.test(ckr))
      return new KeyStoreError(code, `${doing} failed (${ckr}): ${hint.replace('{pin}', pinSource)}`, {
        storeType: TYPE,
        keyId,
        cause: new Error(ckr),
      });
  }
  return new KeyStoreError('UNAVAILABLE', `${doing} failed (${ckr}): check the token and its module`, {
    storeType: TYPE,
    keyId,
    cause: new Error(ckr),
  });
}
