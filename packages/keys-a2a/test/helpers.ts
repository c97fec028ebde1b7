// Shared fixtures: a KeyManager on a memory store and a clock the test moves, and a sample card.
import { createMemoryKeyStore, KeyManager, type KeyStore } from '@phlow/keys-core';

export function testClock(start = Date.now()) {
  const clock = {
    ms: start,
    now: () => clock.ms,
    advance(ms: number) {
      clock.ms += ms;
    },
  };
  return clock;
}

/** A KeyManager with a staged rotation delay of `delayMs` (default 10 min) and a 1 h grace period. */
export function manager(
  store: KeyStore = createMemoryKeyStore(),
  now: () => number = Date.now,
  delayMs = 600_000,
  extra: Record<string, unknown> = {},
): KeyManager {
  return new KeyManager({
    store,
    env: {},
    now,
    rotationGracePeriodMs: 3_600_000,
    rotationDelayMs: delayMs,
    cache: { refetchCooldownMs: 0 },
    ...extra,
  });
}

/** A card in the shape the A2A SDKs keep as it is (no empty values, no protobuf defaults). */
export function sampleCard(): Record<string, unknown> {
  return {
    name: 'Example Agent',
    description: 'Answers questions about the weather',
    version: '1.0.0',
    supportedInterfaces: [
      { url: 'https://agent.example/a2a', protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
    ],
    capabilities: { streaming: true },
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [{ id: 'weather', name: 'Weather', description: 'Forecasts', tags: ['weather'] }],
  };
}
