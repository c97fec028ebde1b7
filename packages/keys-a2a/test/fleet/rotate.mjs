// Fleet child: rotates the agent's key from another process, as `phlow-keys rotate` would, and prints the
// result: `staged` (the new key signs after the rotation delay) or `emergency` (revokePrevious: the previous
// keys are destroyed and the new key signs at once).
import { KeyManager } from '@phlow/keys-core';
import { createFileKeyStore } from '@phlow/keystore-file';

const keys = new KeyManager({ store: createFileKeyStore({ env: process.env }), env: process.env });
const result = await keys.rotateKeyPair(process.env.FLEET_KEY_ID, {
  ...(process.argv[2] === 'emergency' ? { revokePrevious: true } : {}),
});
process.stdout.write(`${JSON.stringify({ kid: result.kid, previousKid: result.previousKid })}\n`);
await keys.close();
