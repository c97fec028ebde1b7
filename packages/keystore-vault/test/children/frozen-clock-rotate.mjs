// Child process of clock.test.ts: a host whose clock reads PHLOW_TEST_FROZEN_MS (frozen, so that KeyManager and
// the store read the same instant) rotates key argv[2] on the Vault KV store from the environment, with a
// rotation delay of argv[3] ms, and prints the outcome as one JSON line.
const frozen = Number(process.env.PHLOW_TEST_FROZEN_MS);
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(frozen);
    else super(...args);
  }
  static now() {
    return frozen;
  }
};

const { KeyManager } = await import('@phlow/keys-core');
const { createVaultKeyStore } = await import('@phlow/keystore-vault');

const store = createVaultKeyStore({ onWarning: () => {} });
const keys = new KeyManager({ store, env: {}, rotationDelayMs: Number(process.argv[3]) });
try {
  const rotated = await keys.rotateKeyPair(process.argv[2]);
  console.log(JSON.stringify({ ok: true, activatesAt: rotated.activatesAt.getTime() }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, code: error.code, message: error.message }));
} finally {
  await keys.close();
}
