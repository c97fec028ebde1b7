/**
 * The OpenTelemetry bridge against the SDK's own in-memory exporters: spans around store calls and
 * signing, cache counters, the store latency histogram, sign/verify counts and failures by key id, and no
 * key material, message or signature in any exported attribute.
 */
import {
  AggregationTemporality,
  type DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createMemoryKeyStore, KeyManager, type KeyStore, KeyStoreError } from '@phlow/keys-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyTelemetry } from '../src/index.js';

function setup(store: KeyStore = createMemoryKeyStore()) {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const telemetry = createKeyTelemetry({
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
  });
  const manager = new KeyManager({
    store: telemetry.instrumentStore(store),
    env: {},
    onEvent: telemetry.onEvent,
  });
  telemetry.observe(manager);
  /** Every metric point exported now, by metric name. */
  const collect = async () => {
    await reader.forceFlush();
    const points = new Map<string, DataPoint<unknown>[]>();
    for (const resource of metricExporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics)
          points.set(metric.descriptor.name, metric.dataPoints as DataPoint<unknown>[]);
      }
    }
    return points;
  };
  cleanups.push(() => Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]));
  return { manager, spans, collect };
}
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const sum = (points: DataPoint<unknown>[] | undefined, match: Record<string, unknown>) =>
  (points ?? [])
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((total, p) => total + (p.value as number), 0);

describe('@phlow/keys-otel', () => {
  it('exports spans around store calls and signing, and counts signs and verifications by key id and outcome', async () => {
    const { manager, spans, collect } = setup();
    const pair = await manager.generateKeyPair('agent-a');
    const message = 'pay 10 to carol';
    const signature = await manager.sign('agent-a', message);
    await manager.sign('agent-a', message);
    expect(await manager.verify('agent-a', message, signature)).toBe(true);
    expect(await manager.verify('agent-a', 'forged', signature)).toBe(false);
    await expect(manager.sign('missing', message)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const names = spans.getFinishedSpans().map((s) => s.name);
    expect(names).toContain('phlow.keystore storeKeyPair');
    expect(names).toContain('phlow.keystore getKeyVersions');
    expect(names.filter((n) => n === 'phlow.keys sign')).toHaveLength(3);
    expect(names.filter((n) => n === 'phlow.keys verify')).toHaveLength(2);
    const signSpan = spans.getFinishedSpans().find((s) => s.name === 'phlow.keys sign')!;
    expect(signSpan.attributes).toMatchObject({ 'phlow.key.id': 'agent-a', 'phlow.key.kid': pair.kid });
    const failed = spans
      .getFinishedSpans()
      .find((s) => s.name === 'phlow.keys sign' && s.attributes['phlow.outcome'] !== 'success')!;
    expect(failed.attributes['phlow.error.code']).toBe('NOT_FOUND');
    expect(failed.status.code).toBe(2); // SpanStatusCode.ERROR

    const points = await collect();
    const ops = points.get('phlow.keys.operations');
    expect(
      sum(ops, { 'phlow.key.id': 'agent-a', 'phlow.key.operation': 'sign', 'phlow.outcome': 'success' }),
    ).toBe(2);
    expect(
      sum(ops, { 'phlow.key.id': 'agent-a', 'phlow.key.operation': 'verify', 'phlow.verify.valid': true }),
    ).toBe(1);
    const fails = points.get('phlow.keys.failures');
    expect(sum(fails, { 'phlow.key.id': 'agent-a', 'phlow.key.operation': 'verify' })).toBe(1);
    // An id no store ever answered for is counted without its id (see cardinality.test.ts).
    expect(sum(fails, { 'phlow.key.operation': 'sign', 'phlow.error.code': 'NOT_FOUND' })).toBe(1);
    expect(sum(fails, { 'phlow.key.id': 'missing' })).toBe(0);
    expect(sum(fails, { 'phlow.key.id': 'agent-a', 'phlow.error.code': 'SIGNATURE_INVALID' })).toBe(1);
    expect(sum(points.get('phlow.keys.cache.hits'), {})).toBe(manager.stats.hits);
    expect(sum(points.get('phlow.keys.cache.loads'), {})).toBe(manager.stats.loads);
    expect(manager.stats.hits).toBeGreaterThan(0);
    const latency = points.get('phlow.keystore.duration') ?? [];
    const versionReads = latency.find((p) => p.attributes['phlow.keystore.operation'] === 'getKeyVersions');
    expect((versionReads?.value as { count: number } | undefined)?.count ?? 0).toBeGreaterThanOrEqual(1);

    const exported = JSON.stringify([
      spans.getFinishedSpans().map((s) => s.attributes),
      [...points.values()],
    ]);
    const body = pair.privateKey.split('\n')[1]!;
    expect(exported).not.toContain(body);
    expect(exported).not.toContain('pay 10');
    expect(exported).not.toContain(Buffer.from(signature).toString('base64'));
  });

  it('counts stale keys and denied store calls, with the error code on the store span', async () => {
    const inner = createMemoryKeyStore();
    const state = { mode: 'ok' as 'ok' | 'down' | 'denied' };
    const flaky: KeyStore = {
      ...inner,
      getKeyVersions: async (id) => {
        if (state.mode === 'down') throw new KeyStoreError('UNAVAILABLE', 'down', { storeType: 'memory' });
        if (state.mode === 'denied') throw new KeyStoreError('ACCESS_DENIED', 'no', { storeType: 'memory' });
        return inner.getKeyVersions!(id);
      },
    };
    let now = 1_000_000;
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({
      exporter: metricExporter,
      exportIntervalMillis: 3_600_000,
    });
    const meterProvider = new MeterProvider({ readers: [reader] });
    cleanups.push(() => Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]));
    const telemetry = createKeyTelemetry({
      tracer: tracerProvider.getTracer('t'),
      meter: meterProvider.getMeter('t'),
    });
    const manager = new KeyManager({
      store: telemetry.instrumentStore(flaky),
      env: {},
      now: () => now,
      cache: { ttlMs: 1000, staleIfErrorMs: 60_000 },
      onEvent: telemetry.onEvent,
    });
    telemetry.observe(manager);
    await manager.generateKeyPair('a');
    await manager.sign('a', 'm');
    now += 2000;
    state.mode = 'down';
    await manager.sign('a', 'm'); // served stale
    now += 2000;
    state.mode = 'denied';
    await expect(manager.sign('a', 'm')).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await reader.forceFlush();
    const all = metricExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    const points = (name: string) =>
      all.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
    expect(sum(points('phlow.keys.cache.events'), { 'phlow.cache.event': 'stale' })).toBe(1);
    expect(sum(points('phlow.keys.cache.stale'), {})).toBe(1);
    expect(
      sum(points('phlow.keys.failures'), { 'phlow.outcome': 'denied', 'phlow.error.code': 'ACCESS_DENIED' }),
    ).toBe(1);
    const deniedSpan = spans
      .getFinishedSpans()
      .find(
        (s) =>
          s.name === 'phlow.keystore getKeyVersions' && s.attributes['phlow.error.code'] === 'ACCESS_DENIED',
      );
    expect(deniedSpan?.attributes['phlow.outcome']).toBe('denied');
  });

  it('keeps the store type, capabilities and only the methods the store has', () => {
    const store = createMemoryKeyStore();
    const { getKeyVersions: _omit, ...noVersions } = store;
    void _omit;
    const telemetry = createKeyTelemetry();
    const wrapped = telemetry.instrumentStore({
      ...noVersions,
      capabilities: { ...store.capabilities, versions: false },
    });
    expect(wrapped.type).toBe('memory');
    expect(wrapped.capabilities.versions).toBe(false);
    expect(wrapped.getKeyVersions).toBeUndefined();
    expect(typeof wrapped.getKeyPair).toBe('function');
  });
});
