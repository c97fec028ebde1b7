/**
 * instrumentStore over stores that sign inside their backend (issue 18): the wrapper used to copy seven
 * methods and drop sign/createKey/rotateKey/..., while keeping `capabilities.signer`, so `new KeyManager` over
 * it threw INVALID_CONFIG and the README's own usage failed with Vault Transit. Over the testkit's memory
 * signer store here, and over the real Vault Transit (tooling/services/with-services.sh, as `pnpm test` runs).
 */
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { KeyManager, type KeyStore } from '@phlow/keys-core';
import { createMemorySignerStore, verifiesWith } from '@phlow/keystore-testkit';
import { createVaultTransitKeyStore } from '@phlow/keystore-vault/transit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyTelemetry } from '../src/index.js';

function instrumented(store: KeyStore) {
  const spans = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const telemetry = createKeyTelemetry({ tracer: provider.getTracer('test') });
  const wrapped = telemetry.instrumentStore(store);
  const keys = new KeyManager({ store: wrapped, env: {}, rotationDelayMs: 0, onEvent: telemetry.onEvent });
  return { wrapped, keys, spans, provider };
}

/** createKey, sign, verify (with KeyManager and with node:crypto), rotate, and the store spans they made. */
async function signsThrough(store: KeyStore, keyId: string) {
  const { wrapped, keys, spans, provider } = instrumented(store);
  expect(wrapped.capabilities).toEqual(store.capabilities);
  await keys.createKey(keyId);
  const signature = await keys.sign(keyId, 'hello');
  expect(await keys.verify(keyId, 'hello', signature)).toBe(true);
  const [current] = await store.getPublicKeyVersions!(keyId);
  expect(verifiesWith(current!.publicKey, new TextEncoder().encode('hello'), signature)).toBe(true);
  await keys.rotateKeyPair(keyId);
  expect(await keys.verify(keyId, 'hello', await keys.sign(keyId, 'hello'))).toBe(true);
  const names = spans.getFinishedSpans().map((s) => s.name);
  await keys.deleteKeyPair(keyId, { destroy: true });
  await provider.shutdown();
  return names;
}

describe('instrumentStore over a signer store', () => {
  it('memory signer store: KeyManager creates, signs, verifies and rotates; the signer calls are spans', async () => {
    const names = await signsThrough(createMemorySignerStore(), 'otel-signer');
    for (const method of ['createKey', 'sign', 'getPublicKeyVersions', 'rotateKey'])
      expect(names).toContain(`phlow.keystore ${method}`);
  });

  describe('Vault Transit (real server)', () => {
    const mount = `otel-transit-${Date.now().toString(36)}`;
    const address = process.env.VAULT_ADDR;
    const token = process.env.VAULT_TOKEN;
    let store: ReturnType<typeof createVaultTransitKeyStore>;
    beforeAll(async () => {
      if (!address || !token)
        throw new Error('VAULT_ADDR/VAULT_TOKEN are not set: run through tooling/services/with-services.sh');
      const mounted = await fetch(`${address}/v1/sys/mounts/${mount}`, {
        method: 'POST',
        headers: { 'x-vault-token': token, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'transit' }),
      });
      expect(mounted.status).toBeLessThan(300);
      store = createVaultTransitKeyStore({
        mount,
        onWarning: () => {},
        env: { VAULT_ADDR: address, VAULT_TOKEN: token },
      });
    });
    afterAll(() => store?.close());

    it("the README's usage works with Transit: KeyManager over instrumentStore signs and verifies", async () => {
      const names = await signsThrough(store, `otel-${Date.now().toString(36)}`);
      expect(names).toContain('phlow.keystore sign');
      expect(names).toContain('phlow.keystore createKey');
    });
  });
});
