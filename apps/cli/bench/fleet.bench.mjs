// Fleet benchmark, run by `pnpm bench`: 4 replica processes, each with its own KeyManager on one encrypted
// key file, sign and cross-verify without pause while a fifth process runs `phlow-keys rotate`. Prints, side
// by side, the staged timeline (delay = 4 x TTL, the rule the 900 s / 300 s defaults follow: every verifier
// has refreshed before the new key signs), delay 0, and delay 0 without refetch on a miss (how rotation
// behaved before staged activation). Short settings (TTL 1 s) so one run takes seconds. Reports; asserts nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet, KeyBook } from '../test/fleet/harness.mjs';

const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const REPLICAS = 4;
const TTL_SECONDS = 1;

function phlowKeys(args, cwd, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`phlow-keys ${args[0]}: exit ${code} ${err}`)),
    );
  });
}

async function run(label, settings) {
  const cwd = mkdtempSync(join(tmpdir(), 'phlow-fleet-bench-'));
  const env = {
    PATH: process.env.PATH,
    HOME: cwd,
    PHLOW_KEY_STORE_TYPE: 'encrypted_file',
    PHLOW_MASTER_KEY_FILE: '.phlow/master.key',
    PHLOW_KEY_CACHE_TTL_SECONDS: String(TTL_SECONDS),
    PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS: '0',
    PHLOW_KEY_ROTATION_GRACE_SECONDS: '900',
    FLEET_KEY_ID: 'alpha',
    ...settings,
  };
  await phlowKeys(['init'], cwd, env);
  await phlowKeys(['generate', 'alpha'], cwd, env);
  const book = new KeyBook();
  const jwks = async () => JSON.parse(await phlowKeys(['jwks', 'alpha'], cwd, env));
  book.add(await jwks());
  const fleet = new Fleet({ size: REPLICAS, cwd, env });
  try {
    await fleet.stagger(TTL_SECONDS * 1000);
    for (let i = 0; i < 10; i++) await fleet.round();
    const before = fleet.verifications;
    const { rotated, during } = await fleet.rotateDuringTraffic({
      book,
      rotate: async () => JSON.parse(await phlowKeys(['rotate', 'alpha', '--json'], cwd, env)),
      jwks,
    });
    // Go on a little after the last replica switched, as traffic does.
    for (let i = 0; i < 10; i++) await fleet.round();
    const writtenAt =
      Date.parse(rotated.activatesAt) - Number(settings.PHLOW_KEY_ROTATION_DELAY_SECONDS) * 1000;
    const firstNew = new Map();
    for (const s of during) {
      if (!firstNew.has(s.replica) && book.signer(s.msg, s.sig) === rotated.kid)
        firstNew.set(s.replica, s.after);
    }
    const lastSwitch = Math.max(...firstNew.values());
    return {
      label,
      'verifications (during rotation)': fleet.verifications - before,
      failed: fleet.failed + fleet.errors.length,
      'last replica switched after write': `${((lastSwitch - writtenAt) / 1000).toFixed(2)} s`,
    };
  } finally {
    await fleet.stop();
  }
}

const rows = [
  await run('staged: delay 4 s (4 x TTL)', {
    PHLOW_KEY_ROTATION_DELAY_SECONDS: String(4 * TTL_SECONDS),
    PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS: '0.5',
  }),
  await run('delay 0', {
    PHLOW_KEY_ROTATION_DELAY_SECONDS: '0',
    PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS: '0.5',
  }),
  await run('delay 0, no refetch on a miss (before)', {
    PHLOW_KEY_ROTATION_DELAY_SECONDS: '0',
    PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS: '3600',
  }),
];
console.log(
  `\nFleet rotation: ${REPLICAS} replica processes, one encrypted key file, cache TTL ${TTL_SECONDS} s`,
);
console.table(Object.fromEntries(rows.map(({ label, ...figures }) => [label, figures])));
