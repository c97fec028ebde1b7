// Fleet child: the agent's directory server. Opens the Vault Transit store (VAULT_ADDR, VAULT_TOKEN,
// PHLOW_VAULT_TRANSIT_MOUNT from the environment), serves /.well-known/http-message-signatures-directory for
// key id FLEET_KEY_ID on 127.0.0.1:FLEET_PORT (0: any), with max-age FLEET_MAX_AGE, and prints its origin.
// Plain Node on the built packages.
import { createServer } from 'node:http';
import { KeyManager } from '@phlow/keys-core';
import { createVaultTransitKeyStore } from '@phlow/keystore-vault/transit';
import { createDirectoryHandler, toNodeListener } from '../../dist/index.js';

const manager = new KeyManager({
  store: createVaultTransitKeyStore({ env: process.env, onWarning: () => {} }),
  cache: { ttlMs: 0 },
});
const handler = createDirectoryHandler(manager, {
  keyIds: [process.env.FLEET_KEY_ID],
  maxAgeSeconds: Number(process.env.FLEET_MAX_AGE),
});
let origin = '';
const listener = (req, res) => toNodeListener(handler, origin)(req, res);
const server = createServer(listener);
server.listen(Number(process.env.FLEET_PORT ?? 0), '127.0.0.1', () => {
  origin = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`${JSON.stringify({ origin })}\n`);
});
