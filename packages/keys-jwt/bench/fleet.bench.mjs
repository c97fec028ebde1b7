// The fleet after `phlow-keys rotate --now`, every setting at its default (`pnpm bench`, after a build; run
// through with-services.sh, which starts Vault and moto). Prints, per store (file, and Vault and AWS when
// their servers are up): how long after `rotate --now` returned the issuer process signed with the new key,
// and a jose createRemoteJWKSet verifier with jose's defaults (cooldown 30 s, cache max age 10 min) fetching
// the issuer's JWK Set over real HTTP accepted its tokens (one that fetched just before the rotation, one whose
// last fetch was over 30 s before); how many tokens it refused meanwhile; beside the
// named alternative in the same run, an issuer with the signing recheck off
// (PHLOW_KEY_CACHE_SIGNING_RECHECK_SECONDS=0: the cache TTL alone, as before); and a staged `rotate` (default
// delay, 900 s) watched to the new key's activation with its refused-token count. Asserts nothing.
// FLEET_BENCH_STAGED_DELAY_SECONDS shortens the staged delay (then printed as not the default);
// FLEET_BENCH_STORES=file,vault picks the stores.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KeyManager } from '@phlow/keys-core';
import { remoteVerifier, rotateElsewhere, startIssuer } from '../test/fleet/fleet.mjs';
import { openStore } from '../test/fleet/store.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '../../../apps/cli/dist/cli.js');
const run = promisify(execFile);
const STEP_MS = 250; // one token signed and verified per id every 250 ms
const stagedDelay = process.env.FLEET_BENCH_STAGED_DELAY_SECONDS;
const stores = (process.env.FLEET_BENCH_STORES ?? 'file,vault,aws')
  .split(',')
  .filter(
    (s) =>
      s === 'file' ||
      (s === 'vault' && process.env.VAULT_ADDR) ||
      (s === 'aws' && process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER),
  );
const CLI_TYPE = { file: 'encrypted_file', vault: 'vault', aws: 'aws' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms) => (ms === undefined ? 'not within the run' : `${(ms / 1000).toFixed(1)} s`);

/** The store's variables only: every PHLOW_KEY_* setting is left at its default. */
function storeEnv(kind, dir) {
  const keep = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k === 'PATH' || k === 'HOME' || /^(VAULT_|AWS_)/.test(k)),
  );
  const env = { ...keep, FLEET_STORE: kind };
  if (kind === 'file') {
    env.PHLOW_KEY_STORE_FILE = join(dir, 'keys.enc');
    env.PHLOW_MASTER_KEY = `base64:${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`;
  }
  return env;
}

/** `phlow-keys rotate <id> [--now]` (the built CLI when there is one, else what it runs), and how long it took. */
async function rotate(kind, env, id, now) {
  const started = performance.now();
  let result;
  if (existsSync(cli)) {
    const { stdout } = await run(process.execPath, [cli, 'rotate', id, ...(now ? ['--now'] : []), '--json'], {
      env: { ...env, PHLOW_KEY_STORE_TYPE: CLI_TYPE[kind] },
      cwd: tmpdir(),
    });
    result = JSON.parse(stdout);
  } else result = await rotateElsewhere(env, id, now);
  return {
    ...result,
    tookMs: performance.now() - started,
    via: existsSync(cli) ? 'phlow-keys CLI' : 'child KeyManager',
  };
}

/**
 * Signs and verifies `id` every STEP_MS until `done(signed)`; the first times a kid is signed and accepted (by
 * `verify`, and by `settled` when given: a second verifier whose last fetch is older than its cooldown).
 */
async function watch(issuer, verify, id, kid, since, done, settled) {
  const seen = {
    signedAt: undefined,
    acceptedAt: undefined,
    settledAt: undefined,
    refused: 0,
    signedWithNew: 0,
    errors: 0,
  };
  for (;;) {
    const signed = await issuer.sign(id);
    const at = performance.now() - since;
    if (signed.error) seen.errors++;
    else {
      const ok = await verify(signed.token, id);
      const okSettled = settled ? await settled(signed.token, id) : false;
      if (!ok) seen.refused++;
      if (signed.kid === kid) {
        seen.signedWithNew++;
        seen.signedAt ??= at;
        if (ok) seen.acceptedAt ??= performance.now() - since;
        if (okSettled) seen.settledAt ??= performance.now() - since;
      }
    }
    if (done(seen, at)) return seen;
    await sleep(STEP_MS);
  }
}

async function scenario(kind) {
  const dir = mkdtempSync(join(tmpdir(), 'phlow-fleet-bench-'));
  const env = storeEnv(kind, dir);
  const suffix = `${kind}-${process.pid}`;
  const ids = { urgent: `urgent-${suffix}`, ttl: `ttl-${suffix}`, staged: `staged-${suffix}` };
  const setup = new KeyManager({ store: await openStore(kind, env), env: {} });
  for (const id of Object.values(ids)) await setup.generateKeyPair(id, { overwrite: true });
  await setup.close();
  const stagedEnv =
    stagedDelay === undefined ? env : { ...env, PHLOW_KEY_ROTATION_DELAY_SECONDS: stagedDelay };
  const issuer = await startIssuer(stagedEnv);
  const before = await startIssuer({ ...env, PHLOW_KEY_CACHE_SIGNING_RECHECK_SECONDS: '0' });
  try {
    // A verifier whose last fetch is more than its 30 s cooldown old when the rotation comes (the usual case),
    // beside one that fetched just before it (the worst case).
    const settled = remoteVerifier(issuer.url);
    await settled((await issuer.sign(ids.urgent)).token, ids.urgent);
    await sleep(31_000);
    const verify = remoteVerifier(issuer.url);
    const verifyBefore = remoteVerifier(before.url);
    for (const id of Object.values(ids)) await verify((await issuer.sign(id)).token, id);
    await verifyBefore((await before.sign(ids.ttl)).token, ids.ttl);

    // Emergency, on both issuers at once; then the staged rotation while the recheck-off issuer still waits.
    const [urgent, ttl] = await Promise.all([
      rotate(kind, env, ids.urgent, true),
      rotate(kind, env, ids.ttl, true),
    ]);
    const t0 = performance.now();
    const staged = await rotate(kind, stagedEnv, ids.staged, false);
    const stagedT0 = performance.now();
    const activation = new Date(staged.activatesAt).getTime() - Date.now();
    const until = (seen) => seen.acceptedAt !== undefined && seen.signedWithNew >= 20;
    const [withRecheck, withoutRecheck, stagedSeen] = await Promise.all([
      watch(
        issuer,
        verify,
        ids.urgent,
        urgent.kid,
        t0,
        (seen) => until(seen) && seen.settledAt !== undefined,
        settled,
      ),
      // The alternative is watched until the staged rotation ends (at most), then reported as it stands.
      watch(
        before,
        verifyBefore,
        ids.ttl,
        ttl.kid,
        t0,
        (seen, at) => until(seen) || at > activation + 30_000,
      ),
      watch(issuer, verify, ids.staged, staged.kid, stagedT0, (seen) => seen.signedWithNew >= 20),
    ]);
    return { kind, urgent, withRecheck, withoutRecheck, staged, stagedSeen };
  } finally {
    await Promise.all([issuer.stop(), before.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `\nFleet after rotate --now, every setting at its default (signing recheck 10 s, JWKS revalidation 5 s, jose cooldown 30 s / cache 10 min); staged delay ${stagedDelay === undefined ? '900 s (default)' : `${stagedDelay} s (shortened: NOT the default)`}; stores: ${stores.join(', ')}`,
);
const results = await Promise.all(stores.map((kind) => scenario(kind)));
console.table(
  results.flatMap((r) => [
    {
      store: r.kind,
      issuer: 'defaults (recheck 10 s)',
      'rotate --now took': seconds(r.urgent.tookMs),
      'issuer signs new key after': seconds(r.withRecheck.signedAt),
      'jose verifier accepts after (fetched just before / 30+ s before)': `${seconds(r.withRecheck.acceptedAt)} / ${seconds(r.withRecheck.settledAt)}`,
      'tokens refused meanwhile': r.withRecheck.refused,
      'staged rotation: tokens refused': r.stagedSeen.refused,
    },
    {
      store: r.kind,
      issuer: 'recheck off (TTL only, before)',
      'rotate --now took': '',
      'issuer signs new key after': seconds(r.withoutRecheck.signedAt),
      'jose verifier accepts after (fetched just before / 30+ s before)': seconds(
        r.withoutRecheck.acceptedAt,
      ),
      'tokens refused meanwhile': r.withoutRecheck.refused,
      'staged rotation: tokens refused': '',
    },
  ]),
);
console.log(
  `rotations made by: ${results[0]?.urgent.via}; target: issuer and verifier within 60 s, staged 0 refused`,
);
