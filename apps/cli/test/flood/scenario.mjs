// The forged-issuer flood against a real store (Vault or moto's Secrets Manager), shared by
// verify-flood.test.ts (in process) and child.mjs (the same under `ulimit -n 1024`).
//
// A writer stores one legitimate key and signs a token with it. A verifier that has never read anything (a
// cold cache) then gets `count` tokens with distinct forged issuers and, started after all of them, the
// legitimate token. Every store call of the verifier is counted through the adapter kit's wrapStore. The
// verifier's clock stands still, so the count does not depend on how fast the machine is: the documented
// bound for one cooldown is one listing plus one read per real issuer.
import { KeyManager } from '@phlow/keys-core';
import { wrapStore } from '@phlow/keys-core/adapter';
import { signJwt, verifyJwt } from '@phlow/keys-jwt';
import { createAwsKeyStore } from '@phlow/keystore-aws';
import { createVaultKeyStore } from '@phlow/keystore-vault';

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token naming `iss`, with a kid and a signature no key made. */
function forged(iss, nowMs) {
  const header = b64({ alg: 'EdDSA', kid: 'A'.repeat(43) });
  return `${header}.${b64({ iss, exp: Math.floor(nowMs / 1000) + 600 })}.${'A'.repeat(86)}`;
}

/** A fresh store of `kind` under its own prefix, from the services' environment. */
export function openStore(kind, env, prefix) {
  if (kind === 'vault') {
    return createVaultKeyStore({ address: env.VAULT_ADDR, token: env.VAULT_TOKEN, prefix, env: {} });
  }
  return createAwsKeyStore({
    prefix: `${prefix}/`,
    region: env.AWS_REGION,
    endpoint: env.AWS_ENDPOINT_URL_SECRETS_MANAGER,
  });
}

/** Runs the flood; returns the verifier's store calls by method and the outcomes by code. */
export async function runFlood(
  kind,
  env,
  { count = 10_000, prefix = `flood-${process.pid}-${Date.now()}` } = {},
) {
  const writerStore = openStore(kind, env, prefix);
  const writer = new KeyManager({ store: writerStore, env: {}, rotationDelayMs: 0 });
  await writer.generateKeyPair('legit-agent');
  const t0 = Date.now();
  const now = () => t0;
  const token = await signJwt(writer, 'legit-agent', { scope: 'read' }, { now });

  const calls = {};
  const inner = openStore(kind, env, prefix);
  const store = wrapStore(inner, (method, _args, call) => {
    calls[method] = (calls[method] ?? 0) + 1;
    return call();
  });
  const verifier = new KeyManager({ store, env: {}, now });
  const flood = Array.from({ length: count }, (_, i) =>
    verifyJwt(verifier, forged(`forged-${i}-${prefix}`, t0), { now }).then(
      () => 'VALID',
      (error) => error.code ?? String(error),
    ),
  );
  const legit = verifyJwt(verifier, token, { now }).then(
    (result) => ({ ok: true, keyId: result.keyId, scope: result.payload.scope }),
    (error) => ({ ok: false, code: error.code, message: error.message }),
  );
  const outcomes = {};
  for (const code of await Promise.all(flood)) outcomes[code] = (outcomes[code] ?? 0) + 1;
  const result = { calls, outcomes, legit: await legit };
  await writer.deleteKeyPair('legit-agent', { destroy: true }).catch(() => {});
  await verifier.close();
  await writer.close();
  return result;
}
