// Fleet child: the issuing agent. Serves its signed card (createAgentCardNodeHandler) over real HTTP from a
// KeyManager on the shared file store; prints {"port"} once listening, {"requests"} for each "stats" line on
// stdin, and exits when stdin closes. Runs the built package (dist).
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { KeyManager } from '@phlow/keys-core';
import { createFileKeyStore } from '@phlow/keystore-file';
import { createAgentCardNodeHandler } from '../../dist/index.js';

const keys = new KeyManager({ store: createFileKeyStore({ env: process.env }), env: process.env });
const handler = createAgentCardNodeHandler(
  keys,
  process.env.FLEET_KEY_ID,
  JSON.parse(process.env.FLEET_CARD),
);
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  handler(req, res);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
const lines = createInterface({ input: process.stdin });
lines.on('line', () => process.stdout.write(`${JSON.stringify({ requests })}\n`));
lines.on('close', () => {
  handler.close();
  server.close();
  process.exit(0);
});
