/**
 * A KeyStore wrapped so that every backend call is a span and a latency measurement: what an operator needs
 * to see when Vault or Secrets Manager slows down or starts refusing. The wrapper keeps the store's type,
 * capabilities and optional methods exactly (capabilities are declared, never guessed), and adds no
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
import { attributesOfError, keyIdAttribute } from './attributes.js';

/** The store methods that reach the backend. */
const CALLS = [
  'getPrivateKey',
  'getPublicKey',
  'storeKeyPair',
  'deleteKeyPair',
  'getKeyPair',
  'listKeyIds',
  'getKeyVersions',
] as const;

export function storeLatencyHistogram(meter: Meter): Histogram {
  return meter.createHistogram('phlow.keystore.duration', {
    description: 'Duration of key store calls (backend requests)',
    unit: 'ms',
  });
}

/** `store` with a span (`phlow.keystore <method>`) and a `phlow.keystore.duration` record around each backend call. */
export function instrumentStore(store: KeyStore, tracer: Tracer, latency: Histogram): KeyStore {
  const wrapped: Record<string, unknown> = {
    type: store.type,
    capabilities: store.capabilities,
  };
  for (const method of CALLS) {
    const fn = store[method] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (typeof fn !== 'function') continue;
    wrapped[method] = (...args: unknown[]) => {
      const attributes = {
        'phlow.keystore.type': store.type,
        'phlow.keystore.operation': method,
        // Only the first argument is ever a key id; the others are key material or options.
        ...(method === 'listKeyIds' ? {} : keyIdAttribute(args[0])),
      };
      return tracer.startActiveSpan(
        `phlow.keystore ${method}`,
        { kind: SpanKind.CLIENT, attributes },
        async (span: Span) => {
          const started = performance.now();
          try {
            const result = await fn.apply(store, args);
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
    };
  }
  if (typeof store.close === 'function') wrapped.close = () => store.close!();
  return wrapped as unknown as KeyStore;
}
