// `rotate` from another process: what `phlow-keys rotate <id> [--now] [--revoke-previous]` runs
// (KeyManager.rotateKeyPair), configured from the environment. Prints { kid, previousKid, activatesAt } as
// JSON and exits.
// Usage: node rotate.mjs <id> [--now] [--revoke-previous]
import { KeyManager } from '@phlow/keys-core';
import { openStore } from './store.mjs';

const [id, ...flags] = process.argv.slice(2);
const keys = new KeyManager({ store: await openStore(), env: process.env });
const result = await keys.rotateKeyPair(id, {
  now: flags.includes('--now'),
  revokePrevious: flags.includes('--revoke-previous'),
});
process.stdout.write(
  `${JSON.stringify({ kid: result.kid, previousKid: result.previousKid, activatesAt: result.activatesAt })}\n`,
);
