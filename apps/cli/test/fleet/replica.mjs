/**
 * One replica of an agent, for the fleet tests: a process with its own KeyManager over the store that
 * PHLOW_KEY_STORE_TYPE names, every setting from its environment, as a deployed agent has. It answers JSON
 * lines on stdin ({n, op: "sign" | "pair" | "verify", msg, sig}) with JSON lines on stdout ({n, sig, before,
 * after} or {n, ok} or {n, error}); "pair" signs with the private key `getKeyPair` returns, as a user of the
 * guide does. It never prints key material: signatures, kids and error codes only.
 */
import { sign } from 'node:crypto';
import { createInterface } from 'node:readline';
import { KeyManager } from '@phlow/keys-core';

const adapters = {
  encrypted_file: '@phlow/keystore-file',
  vault: '@phlow/keystore-vault',
  aws: '@phlow/keystore-aws',
};
const type = process.env.PHLOW_KEY_STORE_TYPE ?? 'encrypted_file';
const provider = (await import(adapters[type])).default;
const store = await provider.create({ env: process.env, cwd: process.cwd() });
const manager = new KeyManager({ store, env: process.env });
const keyId = process.env.FLEET_KEY_ID;

async function answer(request) {
  try {
    if (request.op === 'sign') {
      const before = Date.now();
      const signature = await manager.sign(keyId, request.msg);
      return { sig: Buffer.from(signature).toString('base64url'), before, after: Date.now() };
    }
    if (request.op === 'pair') {
      // What the user guide shows: take the pair getKeyPair returns and sign with it yourself.
      const before = Date.now();
      const pair = await manager.getKeyPair(keyId);
      const signature = sign(null, Buffer.from(request.msg), pair.privateKey);
      return { sig: signature.toString('base64url'), kid: pair.kid, before, after: Date.now() };
    }
    if (request.op === 'verify') {
      return { ok: await manager.verify(keyId, request.msg, Buffer.from(request.sig, 'base64url')) };
    }
    return { error: `unknown op ${request.op}` };
  } catch (error) {
    return { error: error?.code ?? error?.name ?? 'Error' };
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line);
  process.stdout.write(`${JSON.stringify({ n: request.n, ...(await answer(request)) })}\n`);
}
await manager.close();
