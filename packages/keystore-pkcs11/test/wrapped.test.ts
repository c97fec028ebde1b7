/**
 * The PKCS#11 signer store under the wrappers people put around stores (issue 18: they used to drop the signer
 * methods while keeping `capabilities.signer`, and `new KeyManager` threw INVALID_CONFIG): keys-otel's
 * instrumentStore, and the testkit's withFaults around it. KeyManager creates, signs, verifies and rotates
 * through them on a real SoftHSM2 token, and the token's calls show up as spans and in the fault counters.
 */
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { KeyManager } from '@phlow/keys-core';
import { createKeyTelemetry } from '@phlow/keys-otel';
import { verifiesWith, withFaults } from '@phlow/keystore-testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestStore, uid } from './helpers.js';

describe('pkcs11 store under instrumentStore (keys-otel) and withFaults (testkit)', () => {
  const store = createTestStore();
  afterAll(() => store.close());

  it('KeyManager signs, verifies and rotates through both wrappers; the calls are seen', async () => {
    const spans = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const telemetry = createKeyTelemetry({ tracer: provider.getTracer('test') });
    const faulty = withFaults(store);
    const wrapped = telemetry.instrumentStore(faulty);
    expect(wrapped.capabilities).toEqual(store.capabilities);
    const keys = new KeyManager({ store: wrapped, env: {}, rotationDelayMs: 0 });
    const keyId = uid('wrapped');
    try {
      await keys.createKey(keyId);
      const signature = await keys.sign(keyId, 'hello');
      expect(await keys.verify(keyId, 'hello', signature)).toBe(true);
      const [current] = await store.getPublicKeyVersions(keyId);
      expect(verifiesWith(current!.publicKey, new TextEncoder().encode('hello'), signature)).toBe(true);
      const rotated = await keys.rotateKeyPair(keyId);
      expect(rotated.keyPair.version).toBe('2');
      expect(await keys.verify(keyId, 'hello', await keys.sign(keyId, 'hello'))).toBe(true);
      const names = new Set(spans.getFinishedSpans().map((s) => s.name));
      for (const method of ['createKey', 'sign', 'getPublicKeyVersions', 'rotateKey'])
        expect(names, `a span for ${method}`).toContain(`phlow.keystore ${method}`);
      expect(faulty.faults.calls.sign).toBeGreaterThanOrEqual(2);
      // A fault injected under the instrumentation reaches KeyManager as the store's error.
      faulty.faults.failNext(1, 'UNAVAILABLE');
      await expect(keys.sign(keyId, 'hello')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await store.deleteKeyPair(keyId);
      await provider.shutdown();
    }
  });
});
