/**
 * keys-otel on OpenTelemetry SDK 3 (`@opentelemetry/sdk-trace` and `sdk-metrics` 3, API 1.10), set up as a user
 * does: the SDK's providers registered globally, then the README's Usage, then sign, verify (a good and a
 * forged signature) and rotate. Every span and metric the README promises for these must be exported.
 * tooling/e2e/tarball-e2e.mjs copies this folder out of the workspace, installs it with the packed keys-core and
 * keys-otel, and runs it with PHLOW_KEY_STORE_TYPE=memory on a Node that SDK 3 supports (>= 22.15). keys-otel's
 * own tests (test/*.test.ts) run on SDK 2.
 */
import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createKeyStoreFromEnv, KeyManager } from '@phlow/keys-core';
import { createKeyTelemetry } from '@phlow/keys-otel';

// SDK 3: TracerProvider (SDK 2's BasicTracerProvider), span processors take an options object.
const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
trace.setGlobalTracerProvider(tracerProvider);
const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

// The README's Usage, as written.
const telemetry = createKeyTelemetry(); // global tracer and meter providers
const keys = new KeyManager({
  store: telemetry.instrumentStore(await createKeyStoreFromEnv()),
  onEvent: telemetry.onEvent,
});
telemetry.observe(keys);

await keys.generateKeyPair('agent-a');
const signature = await keys.sign('agent-a', 'payload');
const verdicts = [
  await keys.verify('agent-a', 'payload', signature),
  await keys.verify('agent-a', 'forged', signature),
];
await keys.rotateKeyPair('agent-a');
await Promise.all([tracerProvider.forceFlush(), reader.forceFlush()]);

const spanNames = new Set(spans.getFinishedSpans().map((s) => s.name));
const points = new Map();
for (const resource of exporter.getMetrics()) {
  for (const scope of resource.scopeMetrics) {
    for (const metric of scope.metrics) points.set(metric.descriptor.name, metric.dataPoints);
  }
}
const problems = [];
if (verdicts[0] !== true || verdicts[1] !== false) problems.push(`verify answered ${verdicts}`);
for (const name of [
  'phlow.keystore storeKeyPair',
  'phlow.keys sign',
  'phlow.keys verify',
  'phlow.keys rotate',
]) {
  if (!spanNames.has(name)) problems.push(`no span ${name} (spans: ${[...spanNames].join(', ')})`);
}
const total = (name, match = {}) =>
  (points.get(name) ?? [])
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + p.value, 0);
if (total('phlow.keys.operations', { 'phlow.key.operation': 'sign' }) !== 1)
  problems.push('sign not counted once');
if (total('phlow.keys.failures', { 'phlow.error.code': 'SIGNATURE_INVALID' }) !== 1)
  problems.push('the forged signature is not counted once under SIGNATURE_INVALID');
if (!points.has('phlow.keystore.duration')) problems.push('no phlow.keystore.duration histogram');
if (!points.has('phlow.keys.cache.hits')) problems.push('no phlow.keys.cache.hits counter');

await keys.close();
if (problems.length) {
  console.error(`keys-otel on OpenTelemetry SDK 3: FAIL\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`keys-otel on OpenTelemetry SDK 3: ok (${spanNames.size} span names, ${points.size} metrics)`);
