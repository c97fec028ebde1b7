// Benchmarks for @phlow/keystore-aws against the moto server that with-services.sh starts (`pnpm bench`,
// after a build). Prints tables and target lines; asserts nothing.
//  1. One key read, side by side in one run: a raw SDK GetSecretValue, this store's uncached getKeyPair,
//     a KeyManager's cached getKeyPair, and @aws-lambda-powertools/parameters' SecretsProvider (uncached
//     and cached), the library a TypeScript user would otherwise pick.
//     Target: the KeyManager's cached read at least 10x faster than Powertools' cached read.
//  2. 1,000 concurrent cold gets of one id: GetSecretValue requests sent (counted with SDK middleware),
//     through a KeyManager (target: 1) and through Powertools.

import { getSecret, SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { measure, printTable, printTarget } from '@phlow/bench';
import { KeyManager, newEd25519Pems } from '@phlow/keys-core';
import { createAwsKeyStore } from '@phlow/keystore-aws';

const endpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
if (!endpoint || !process.env.AWS_REGION) {
  console.error(
    'AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_REGION are not set: run through tooling/services/with-services.sh (pnpm bench does)',
  );
  process.exit(1);
}

/** A client configured for moto (endpoint from the environment, like the store's), counting GetSecretValue. */
function countingClient() {
  const client = new SecretsManagerClient({ endpoint });
  const counter = { gets: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetSecretValueCommand') counter.gets++;
      return next(args);
    },
    { step: 'deserialize', name: 'benchCountGets', priority: 'low' },
  );
  return { client, counter };
}

const prefix = `phlow-bench-${Date.now().toString(36)}/`;
const keyId = 'agent';
const secretName = prefix + keyId;
const store = createAwsKeyStore({ prefix });
const pair = newEd25519Pems();
await store.storeKeyPair(keyId, pair.privateKey, pair.publicKey);

try {
  // 1. Reads. HTTP rounds alternate so that drift hits every case alike; each case keeps its best round.
  const raw = new SecretsManagerClient({ endpoint });
  const powertools = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ endpoint }) });
  const getOptions = { maxAge: 300, transform: 'json' };
  const km = new KeyManager({ store, env: {} });
  await km.getKeyPair(keyId);
  await powertools.get(secretName, getOptions);

  const httpCases = {
    'raw SDK GetSecretValue': () => raw.send(new GetSecretValueCommand({ SecretId: secretName })),
    'store getKeyPair (uncached)': () => store.getKeyPair(keyId),
    'Powertools get (forceFetch)': () => powertools.get(secretName, { ...getOptions, forceFetch: true }),
  };
  const best = {};
  for (let round = 0; round < 3; round++) {
    for (const [name, fn] of Object.entries(httpCases)) {
      const r = await measure(name, fn, { samples: 150, warmup: 20 });
      if (!best[name] || r.medianNs < best[name].medianNs) best[name] = r;
    }
  }
  const cached = await measure('KeyManager getKeyPair (cached)', () => km.getKeyPair(keyId), {
    samples: 200,
    batch: 2000,
  });
  const ptCached = await measure(
    'Powertools get (cached, maxAge 300)',
    () => powertools.get(secretName, getOptions),
    {
      samples: 200,
      batch: 2000,
    },
  );
  // How the Powertools docs call it: the module's default provider (its client finds moto through
  // AWS_ENDPOINT_URL_SECRETS_MANAGER, as ours does) and the default maxAge, read from
  // POWERTOOLS_PARAMETERS_MAX_AGE (5 s) on every call.
  await getSecret(secretName, { transform: 'json' });
  const ptDefault = await measure(
    'Powertools getSecret (cached, default maxAge)',
    () => getSecret(secretName, { transform: 'json' }),
    { samples: 100, batch: 2000 },
  );
  // The floor any async API pays in this loop: awaiting an already-resolved promise. A 10x margin over a
  // cached Powertools read would need a cached read below this floor.
  const resolved = Promise.resolve(pair);
  const floor = await measure('floor: await of a resolved promise', () => resolved, {
    samples: 200,
    batch: 2000,
  });
  const rows = [...Object.values(best), cached, ptCached, ptDefault, floor];
  printTable(`Reading one key from moto at ${endpoint} (Node ${process.version})`, rows, {
    baseline: 'raw SDK GetSecretValue',
  });

  const overhead = best['store getKeyPair (uncached)'].medianNs / best['raw SDK GetSecretValue'].medianNs - 1;
  console.log(
    `store uncached read vs raw SDK: ${(overhead * 100).toFixed(1)}% (the store sends the same single GetSecretValue, with VersionStage=AWSCURRENT, and parses the JSON)`,
  );
  const speedup = ptCached.medianNs / cached.medianNs;
  printTarget(
    'KeyManager cached read >= 10x faster than Powertools cached read',
    speedup >= 10,
    `${speedup.toFixed(1)}x (${cached.medianNs.toFixed(0)} ns vs ${ptCached.medianNs.toFixed(0)} ns per read; vs getSecret with its default maxAge: ${(ptDefault.medianNs / cached.medianNs).toFixed(1)}x)`,
  );

  // 2. Single flight: 1,000 concurrent cold gets of one id.
  const ours = countingClient();
  const coldStore = createAwsKeyStore({ prefix, client: ours.client });
  const coldKm = new KeyManager({ store: coldStore, env: {} });
  const results = await Promise.all(Array.from({ length: 1000 }, () => coldKm.getKeyPair(keyId)));
  const allSame = results.every((r) => r.publicKey === pair.publicKey);
  printTarget(
    '1,000 concurrent cold KeyManager gets of one id cause 1 request',
    ours.counter.gets === 1 && allSame,
    `${ours.counter.gets} GetSecretValue request(s) for 1,000 gets`,
  );

  const theirs = countingClient();
  const coldPowertools = new SecretsProvider({ awsSdkV3Client: theirs.client });
  await Promise.all(Array.from({ length: 1000 }, () => coldPowertools.get(secretName, getOptions)));
  console.log(
    `for comparison, Powertools: ${theirs.counter.gets} GetSecretValue request(s) for 1,000 concurrent cold gets`,
  );

  ours.client.destroy();
  theirs.client.destroy();
  raw.destroy();
} finally {
  await store.deleteKeyPair(keyId, { destroy: true });
  await store.close();
}
