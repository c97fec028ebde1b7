/**
 * A KeyStore wrapped so that every backend call is a span and a latency measurement: what an operator needs
 * to see when Vault or Secrets Manager slows down or starts refusing. The wrapper keeps the store's type,
 * capabilities and methods exactly, signer methods included (core's `wrapStore`), and adds no
 * attribute a caller did not already see: the key id, the store type, the outcome and the error code.
 */
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
import { attributesOfError, keyIdAttribute } from './attributes.js';

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
export function instrumentStore<S extends KeyStore>(store: S, tracer: Tracer, latency: Histogram): S {
  return wrapStore(store, (method, args, call) => {
    if (method === 'close') return call();
    const attributes = {
      'phlow.keystore.type': store.type,
      'phlow.keystore.operation': method,
      // Only the first argument is ever a key id; the others are key material, data to sign or options.
      ...(method === 'listKeyIds' ? {} : keyIdAttribute(args[0])),
    };
    return tracer.startActiveSpan(
      `phlow.keystore ${method}`,
      { kind: SpanKind.CLIENT, attributes },
      async (span: Span) => {
        const started = performance.now();
        try {
          const result = await call();
          latency.record(performance.now() - started, { ...attributes, 'phlow.outcome': 'success' });
          return result;
        } catch (error) {
          const failed = attributesOfError(error);
          latency.record(performance.now() - started, { ...attributes, ...failed });
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
