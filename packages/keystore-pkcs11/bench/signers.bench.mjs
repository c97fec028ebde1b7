// Signatures per second through the stores that sign inside their backend, next to in-process signing, in
// one run (`pnpm --filter @phlow/keystore-pkcs11 bench`, after a build): KeyManager.sign on the memory store
// (the key in the process), on Vault Transit (the local dev server with-services.sh starts: one HTTP round
// trip per signature) and on SoftHSM2 (a throw-away token from with-token.sh). Prints one table; asserts nothing.
import { measure, printTable } from '@phlow/bench';
import { createMemoryKeyStore, KeyManager } from '@phlow/keys-core';
import { createPkcs11KeyStore } from '@phlow/keystore-pkcs11';
import { createVaultTransitKeyStore } from '@phlow/keystore-vault/transit';

if (!process.env.VAULT_ADDR || !process.env.PHLOW_PKCS11_MODULE) {
  console.error('run through with-services.sh and softhsm/with-token.sh (pnpm bench does)');
  process.exit(1);
}
const mount = `bench-transit-${Date.now().toString(36)}`;
const enable = await fetch(`${process.env.VAULT_ADDR}/v1/sys/mounts/${mount}`, {
  method: 'POST',
  headers: { 'X-Vault-Token': process.env.VAULT_TOKEN ?? '' },
  body: JSON.stringify({ type: 'transit' }),
});
if (!enable.ok) throw new Error(`enabling transit: HTTP ${enable.status}`);

const message = new TextEncoder().encode('{"sub":"agent","iat":1700000000}');
const managers = {
  'in-process (memory store, node:crypto)': new KeyManager({
    store: createMemoryKeyStore(),
    rotationGracePeriodMs: 0,
  }),
  'Vault Transit (HTTP, loopback)': new KeyManager({
    store: createVaultTransitKeyStore({ mount }),
    rotationGracePeriodMs: 0,
  }),
  'SoftHSM2 (PKCS#11)': new KeyManager({ store: createPkcs11KeyStore(), rotationGracePeriodMs: 0 }),
};
const rows = [];
for (const [name, km] of Object.entries(managers)) {
  await km.createKey('bench-agent').catch(() => {});
  rows.push(
    await measure(name, () => km.sign('bench-agent', message), { samples: 30, batch: 20, warmup: 2 }),
  );
}
printTable('KeyManager.sign: signatures per second (cached key lookup + signature)', rows, {
  baseline: 'in-process (memory store, node:crypto)',
});
for (const km of Object.values(managers)) {
  await km.deleteKeyPair('bench-agent').catch(() => {});
  await km.close();
}
