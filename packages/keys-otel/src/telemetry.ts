/**
 * The OpenTelemetry bridge: KeyManager's events (onEvent) become spans and counters, its cache counters
 * become observable counters, and the store it reads through is wrapped so backend calls are spans with a
 * latency histogram. Core has no OpenTelemetry code; everything goes through the one event hook.
 *
 * Sign and verify spans are made from the audit event when the operation has finished, back-dated by its
 * measured duration: the sign hot path gains no context switch, and a span never holds a message or key.
 */
import { type Attributes, type Meter, metrics, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { KeyManager, KeyManagerEvent, KeyStore } from '@phlow/keys-core';
import { KnownKeyIds, keyIdAttribute } from './attributes.js';
import { instrumentStore, storeLatencyHistogram } from './store.js';

export interface KeyTelemetryOptions {
  /** Default: `trace.getTracer('@phlow/keys-otel')` from the global tracer provider. */
  readonly tracer?: Tracer;
  /** Default: `metrics.getMeter('@phlow/keys-otel')` from the global meter provider. */
  readonly meter?: Meter;
}

export interface KeyTelemetry {
  /** Pass as `KeyManagerOptions.onEvent` (or call from yours). Never throws. */
  readonly onEvent: (event: KeyManagerEvent) => void;
  /** The store with spans and `phlow.keystore.duration` around each backend call. */
  instrumentStore(store: KeyStore): KeyStore;
  /**
   * Reports `manager.stats` (hits, misses, loads, errors, stale, ...) as `phlow.keys.cache.*` counters until
   * the returned function is called.
   */
  observe(manager: KeyManager): () => void;
}

const CACHE_COUNTERS = ['hits', 'misses', 'loads', 'errors', 'stale', 'evictions', 'refreshes'] as const;
/** The gate's counters (KeyManager.unverifiedReads) and the outcome each is reported as. */
const GATE_OUTCOMES = [
  ['admitted', 'admitted'],
  ['refusedUnknown', 'unknown'],
  ['refusedBusy', 'busy'],
  ['listings', 'listing'],
] as const;

export function createKeyTelemetry(options: KeyTelemetryOptions = {}): KeyTelemetry {
  const tracer = options.tracer ?? trace.getTracer('@phlow/keys-otel');
  const meter = options.meter ?? metrics.getMeter('@phlow/keys-otel');
  const latency = storeLatencyHistogram(meter);
  const operations = meter.createCounter('phlow.keys.operations', {
    description: 'Key operations (sign, verify, read, rotate, ...) by key id, operation and outcome',
  });
  const failures = meter.createCounter('phlow.keys.failures', {
    description: 'Failed or denied key operations by key id, operation and error code',
  });
  const cacheEvents = meter.createCounter('phlow.keys.cache.events', {
    description: 'Stale keys served through a store failure, and failed reads with nothing to serve',
  });
  const managers = new Set<KeyManager>();
  const known = new KnownKeyIds();
  for (const name of CACHE_COUNTERS) {
    meter
      .createObservableCounter(`phlow.keys.cache.${name}`, { description: `KeyManager cache ${name}` })
      .addCallback((result) => {
        for (const manager of managers)
          result.observe(manager.stats[name], { 'phlow.keystore.type': manager.store.type });
      });
  }

  // Reads of ids named by unverified tokens (core's unverified-read gate): a forged-issuer flood shows as
  // `unknown`, a spent budget as `busy`. Cores without the gate report nothing here.
  meter
    .createObservableCounter('phlow.keys.unverified_reads', {
      description: 'Reads of key ids named by unverified tokens, by what the gate did',
    })
    .addCallback((result) => {
      for (const manager of managers) {
        const stats = (manager as { unverifiedReads?: Record<(typeof GATE_OUTCOMES)[number][0], number> })
          .unverifiedReads;
        if (!stats) continue;
        for (const [name, outcome] of GATE_OUTCOMES) {
          result.observe(stats[name], {
            'phlow.keystore.type': manager.store.type,
            'phlow.unverified.outcome': outcome,
          });
        }
      }
    });

  const onEvent = (event: KeyManagerEvent) => {
    try {
      if (event.type === 'stale' || event.type === 'error') {
        cacheEvents.add(1, { 'phlow.cache.event': event.type, ...known.attribute(event.keyId) });
        return;
      }
      if (event.type === 'rotated') known.add(event.keyId);
      if (event.type !== 'audit') return;
      // A successful operation on an id (a read, a signature, a verification that reached the keys) makes it real.
      if (event.outcome === 'success') known.add(event.keyId);
      const attributes: Attributes = {
        'phlow.keystore.type': event.storeType,
        'phlow.key.operation': event.operation,
        'phlow.outcome': event.outcome,
        ...keyIdAttribute(event.keyId),
        ...(event.kid ? { 'phlow.key.kid': event.kid } : {}),
        ...(event.source ? { 'phlow.key.source': event.source } : {}),
        ...(event.valid !== undefined ? { 'phlow.verify.valid': event.valid } : {}),
        ...(event.rotation ? { 'phlow.rotation': event.rotation } : {}),
        ...(event.errorCode ? { 'phlow.error.code': event.errorCode } : {}),
      };
      const counted: Attributes = {
        'phlow.key.operation': event.operation,
        'phlow.outcome': event.outcome,
        ...known.attribute(event.keyId),
        ...(event.valid !== undefined ? { 'phlow.verify.valid': event.valid } : {}),
      };
      operations.add(1, counted);
      if (event.outcome !== 'success' || event.valid === false) {
        // SIGNATURE_INVALID: the one code for a signature that does not verify (core's verify sets it itself in its audit event now; older cores leave it out).
        failures.add(1, { ...counted, 'phlow.error.code': event.errorCode ?? 'SIGNATURE_INVALID' });
      }
      const end = Date.now();
      const span = tracer.startSpan(`phlow.keys ${event.operation}`, {
        attributes,
        startTime: end - event.durationMs,
      });
      if (event.outcome !== 'success') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: event.errorCode ?? event.outcome });
      }
      span.end(end);
    } catch {
      // Telemetry must not break key operations.
    }
  };

  return {
    onEvent,
    instrumentStore: (store) => instrumentStore(store, tracer, latency, known),
    observe: (manager) => {
      managers.add(manager);
      return () => managers.delete(manager);
    },
  };
}
