/**
 * Span and metric attributes from phlow-keys values, with one rule: names, ids and codes only. An error's
 * message is not copied (a store's message may quote a path or a server's text); its `code` is.
 */
import type { Attributes } from '@opentelemetry/api';
import { isKeyStoreError, isValidKeyId } from '@phlow/keys-core';

/** `phlow.key.id` for a valid key id; nothing for anything else (it could be key material passed as a name). */
export function keyIdAttribute(keyId: unknown): Attributes {
  return typeof keyId === 'string' && isValidKeyId(keyId) ? { 'phlow.key.id': keyId } : {};
}

export function attributesOfError(error: unknown): Attributes {
  const code = isKeyStoreError(error) ? error.code : 'ERROR';
  return { 'phlow.outcome': code === 'ACCESS_DENIED' ? 'denied' : 'failure', 'phlow.error.code': code };
}
