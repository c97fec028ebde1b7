/**
 * Span and metric attributes from phlow-keys values, with one rule: names, ids and codes only. An error's
 * message is not copied (a store's message may quote a path or a server's text); its `code` is.
 *
 * Metric attributes carry a key id only once a store has answered with a key for it (`KnownKeyIds`): every
 * distinct value of an attribute is a new time series, and an id a token or a typo names (a forged `iss`)
 * must not choose our series. 10,000 forged issuers made 1,999 series before, up to the SDK's cap, after
 * which real keys' series fell into the overflow bucket. Spans, which are not aggregated, keep the id.
 */
import type { Attributes } from '@opentelemetry/api';
import { isKeyStoreError, isValidKeyId } from '@phlow/keys-core';
import { BoundedMap } from '@phlow/keys-core/adapter';

/** `phlow.key.id` for a valid key id; nothing for anything else (it could be key material passed as a name). */
export function keyIdAttribute(keyId: unknown): Attributes {
  return typeof keyId === 'string' && isValidKeyId(keyId) ? { 'phlow.key.id': keyId } : {};
}

export function attributesOfError(error: unknown): Attributes {
  const code = isKeyStoreError(error) ? error.code : 'ERROR';
  return { 'phlow.outcome': code === 'ACCESS_DENIED' ? 'denied' : 'failure', 'phlow.error.code': code };
}

/** How many ids a telemetry instance remembers as real (least recently used dropped): far above the SDK's 2,000-series cap. */
export const MAX_KNOWN_KEY_IDS = 10_000;

/** The key ids a store has returned a key for (or that an operation succeeded on): the only ids metrics name. */
export class KnownKeyIds {
  readonly #ids = new BoundedMap<string, true>(MAX_KNOWN_KEY_IDS);

  add(keyId: unknown): void {
    if (typeof keyId === 'string' && isValidKeyId(keyId)) this.#ids.set(keyId, true);
  }

  /** `phlow.key.id` for a known id; nothing for any other. */
  attribute(keyId: unknown): Attributes {
    return typeof keyId === 'string' && this.#ids.has(keyId) ? { 'phlow.key.id': keyId } : {};
  }
}
