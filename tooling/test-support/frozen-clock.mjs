// A host whose clock is wrong, as a child process (the tests of issue 19 item 5 "time from one clock"): the
// parent calls rotateWithFrozenClock(...); the child (this file run by Node, argv[2] = "child") freezes `Date` at
// PHLOW_TEST_FROZEN_MS (frozen, so KeyManager and the store read the same instant), opens the store that
// PHLOW_TEST_STORE_MODULE exports as PHLOW_TEST_STORE_FACTORY (called with the JSON options of
// PHLOW_TEST_STORE_OPTIONS), rotates key argv[3] with a rotation delay of argv[4] ms and prints the outcome as
// one JSON line. Every other setting (Vault address, token, PKCS#11 module...) comes from the inherited env.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FILE = fileURLToPath(import.meta.url);

/** @type {import('./frozen-clock.d.mts').rotateWithFrozenClock} */
export function rotateWithFrozenClock({ storeModule, factory, options = {}, keyId, delayMs, frozenMs }) {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [FILE, 'child', keyId, String(delayMs)],
      {
        env: {
          ...process.env,
          PHLOW_TEST_FROZEN_MS: String(frozenMs),
          PHLOW_TEST_STORE_MODULE: String(storeModule),
          PHLOW_TEST_STORE_FACTORY: factory,
          PHLOW_TEST_STORE_OPTIONS: JSON.stringify(options),
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        error ? fail(new Error(`${error.message}\n${stderr}`)) : done(JSON.parse(stdout)),
    );
  });
}

if (process.argv[1] === FILE && process.argv[2] === 'child') {
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
  const adapter = await import(process.env.PHLOW_TEST_STORE_MODULE);
  const store = adapter[process.env.PHLOW_TEST_STORE_FACTORY](
    JSON.parse(process.env.PHLOW_TEST_STORE_OPTIONS),
  );
  const keys = new KeyManager({ store, env: {}, rotationDelayMs: Number(process.argv[4]) });
  try {
    const rotated = await keys.rotateKeyPair(process.argv[3]);
    console.log(JSON.stringify({ ok: true, activatesAt: rotated.activatesAt.getTime() }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, code: error.code, message: error.message }));
  } finally {
    await keys.close();
  }
}
