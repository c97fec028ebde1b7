/**
 * A KeyStore wrapped so that every backend call is a span and a latency measurement: what an operator needs
 * to see when Vault or Secrets Manager slows down or starts refusing. The wrapper keeps the store's type,
 * capabilities and methods exactly, signer methods included (core's `wrapStore`), and adds no
 * attribute a caller did not already see: the key id, the store type, the outcome and the error code. The
 * histogram names a key id only once a store call has returned something for it (see attributes.ts).
 */

/** True when a call returned a key (a pair, a PEM, versions, a signature), not null or an empty list. */
function foundSomething(result: unknown): boolean {
  return result !== null && result !== undefined && !(Array.isArray(result) && result.length === 0);
}

import {
  type Histogram,
  type Meter,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import type { KeyStore } from '@phlow/keys-core';
import { wrapStore } from '@phlow/keys-core/adapter';
import { attributesOfError, type KnownKeyIds, keyIdAttribute } from './attributes.js';

export function storeLatencyHistogram(meter: Meter): Histogram {
  return meter.createHistogram('phlow.keystore.duration', {
    description: 'Duration of key store calls (backend requests)',
    unit: 'ms',
  });
}

/**
 * `store` with a span (`phlow.keystore <method>`) and a `phlow.keystore.duration` record around each backend
 * call. Built on core's `wrapStore`: exactly the store's methods (signer methods included) and capabilities,
 * so KeyManager works over it as over the store. `close` is passed through without a span.
 */
export function instrumentStore<S extends KeyStore>(
  store: S,
  tracer: Tracer,
  latency: Histogram,
  known: KnownKeyIds,
): S {
  return wrapStore(store, (method, args, call) => {
    if (method === 'close') return call();
    const measured = { 'phlow.keystore.type': store.type, 'phlow.keystore.operation': method };
    // Only the first argument is ever a key id; the others are key material, data to sign or options.
    const keyId = method === 'listKeyIds' ? undefined : args[0];
    const attributes = { ...measured, ...keyIdAttribute(keyId) };
    return tracer.startActiveSpan(
      `phlow.keystore ${method}`,
      { kind: SpanKind.CLIENT, attributes },
      async (span: Span) => {
        const started = performance.now();
        try {
          const result = await call();
          if (foundSomething(result)) known.add(keyId);
          latency.record(performance.now() - started, {
            ...measured,
            ...known.attribute(keyId),
            'phlow.outcome': 'success',
          });
          return result;
        } catch (error) {
          const failed = attributesOfError(error);
          latency.record(performance.now() - started, { ...measured, ...known.attribute(keyId), ...failed });
          span.setAttributes(failed);
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(failed['phlow.error.code']) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  });
}
