// The sample Agent Card of the tests and the bench (plain JavaScript, so `node bench/card.bench.mjs` reads it
// as it is): a card in the shape the A2A SDKs keep as it is (no empty values, no protobuf defaults).
export function sampleCard() {
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
