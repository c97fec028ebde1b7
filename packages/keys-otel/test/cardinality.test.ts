/**
 * Forged issuers never reach metric attributes: 10,000 tokens with distinct forged `iss` values through
 * keys-jwt's verifyJwt, over an instrumented store that can list (no per-id read) and one that cannot (the
 * budget lets a few reads through, which answer nothing), add no `phlow.key.id` series; the real key keeps its
 * own. Counted from the SDK's in-memory exporter.
 */
import {
  AggregationTemporality,
  type DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { createMemoryKeyStore, KeyManager, type KeyStore } from '@phlow/keys-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyTelemetry } from '../src/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** What keys-jwt's verifyJwt does with a token naming `iss`: read the issuer's keys as unverified input. */
async function verifyForged(keys: KeyManager, iss: string): Promise<string> {
  // The same call verifyJwt makes (keys-jwt is not a dependency of this package), then the audit event it records.
  const started = performance.now();
  try {
    await keys.getVerificationKeys(iss, { unverified: true });
    return 'found';
  } catch (error) {
    const code = (error as { code: string }).code;
    keys.recordAudit('verify', undefined, started, { outcome: 'success', valid: false, errorCode: code });
    return code;
  }
}

function withoutListing(store: KeyStore): KeyStore {
  const { listKeyIds: _list, ...rest } = store;
  return { ...rest, capabilities: { ...store.capabilities, list: false } } as KeyStore;
}

async function run(listing: boolean) {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  cleanups.push(() => meterProvider.shutdown());
  const telemetry = createKeyTelemetry({ meter: meterProvider.getMeter('t') });
  const backing = createMemoryKeyStore();
  await new KeyManager({ store: backing, env: {} }).generateKeyPair('real-agent');
  const store = telemetry.instrumentStore(listing ? backing : withoutListing(backing));
  const keys = new KeyManager({ store, env: {}, onEvent: telemetry.onEvent, now: () => 1_000_000 });
  telemetry.observe(keys);
  const codes = await Promise.all(
    Array.from({ length: 10_000 }, (_, i) => verifyForged(keys, `forged-${i}`)),
  );
  expect(await keys.sign('real-agent', 'm')).toBeInstanceOf(Uint8Array);
  await reader.forceFlush();
  const ids = new Set<unknown>();
  const gate: Record<string, number> = {};
  for (const resource of metricExporter.getMetrics())
    for (const scope of resource.scopeMetrics)
      for (const metric of scope.metrics)
        for (const point of metric.dataPoints as DataPoint<unknown>[]) {
          if (point.attributes['phlow.key.id'] !== undefined) ids.add(point.attributes['phlow.key.id']);
          if (metric.descriptor.name === 'phlow.keys.unverified_reads') {
            gate[String(point.attributes['phlow.unverified.outcome'])] = point.value as number;
          }
        }
  return { codes, ids, gate };
}

describe('metric attributes under a flood of forged issuers', () => {
  it('a store that lists: 10,000 forged issuers, no forged id on any metric, the real key still named', async () => {
    const { codes, ids, gate } = await run(true);
    expect(new Set(codes)).toEqual(new Set(['NOT_FOUND']));
    expect([...ids]).toEqual(['real-agent']);
    // The flood is visible as a count, not as series: 10,000 unknown, one listing, no read admitted.
    expect(gate).toEqual({ admitted: 0, unknown: 10_000, busy: 0, listing: 1 });
  });

  it('a store that cannot list: the reads the budget lets through answer nothing, and name no series', async () => {
    const { codes, ids, gate } = await run(false);
    const unknown = codes.filter((c) => c === 'NOT_FOUND').length;
    expect(unknown).toBeGreaterThan(0); // some were read
    expect([...ids]).toEqual(['real-agent']);
    expect(gate).toEqual({ admitted: unknown, unknown, busy: 10_000 - unknown, listing: 0 });
  });
});
