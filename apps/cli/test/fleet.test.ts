/**
 * A fleet of real processes rotating one key: 4 replicas (test/fleet/replica.mjs), each with its own
 * KeyManager on one store, sign and verify each other's signatures without pause while a separate
 * `phlow-keys rotate` process rotates the key. On the encrypted file, Vault and AWS Secrets Manager (moto).
 * Also: 8 `rotate --if-older-than` processes at once, emergency rotation, and jose's createRemoteJWKSet
 * against a JWK Set served over HTTP across a rotation.
 *
 * Short settings (TTL 1 s, delay 4 s) keep it quick; every loop is bounded by rounds, every request has a
 * deadline. Vault and AWS need the services: run through with-services.sh (`pnpm --filter @phlow/cli test`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyManager } from '@phlow/keys-core';
import fileStore from '@phlow/keystore-file';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { Fleet, KeyBook, type SignatureRecord } from './fleet/harness.mjs';
import { baseEnv, cli, initProject, json, type TestEnv, uid } from './helpers.js';

const TTL_SECONDS = 1;
const DELAY_SECONDS = 4;
const SETTINGS = {
  PHLOW_KEY_CACHE_TTL_SECONDS: String(TTL_SECONDS),
  PHLOW_KEY_ROTATION_DELAY_SECONDS: String(DELAY_SECONDS),
  PHLOW_KEY_ROTATION_GRACE_SECONDS: '900',
  PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS: '0',
  PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS: '0.5',
};
const REPLICAS = 4;

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run these tests through tooling/services/with-services.sh`);
  return value;
}

const stores: { name: string; env: () => TestEnv }[] = [
  {
    name: 'encrypted_file',
    env: () =>
      baseEnv({
        PHLOW_KEY_STORE_TYPE: 'encrypted_file',
        PHLOW_MASTER_KEY_FILE: '.phlow/master.key',
        ...SETTINGS,
      }),
  },
  {
    name: 'vault',
    env: () =>
      baseEnv({
        PHLOW_KEY_STORE_TYPE: 'vault',
        VAULT_ADDR: required('VAULT_ADDR'),
        VAULT_TOKEN: required('VAULT_TOKEN'),
        ...SETTINGS,
      }),
  },
  {
    name: 'aws',
    env: () =>
      baseEnv({
        PHLOW_KEY_STORE_TYPE: 'aws',
        AWS_EC2_METADATA_DISABLED: 'true',
        ...Object.fromEntries(
          [
            'AWS_ENDPOINT_URL_SECRETS_MANAGER',
            'AWS_REGION',
            'AWS_ACCESS_KEY_ID',
            'AWS_SECRET_ACCESS_KEY',
          ].map((n) => [n, required(n)]),
        ),
        ...SETTINGS,
      }),
  },
];

/** Runs the CLI and fails the test, with its output, when it does not exit 0. */
async function ok(args: string[], cwd: string, env: TestEnv) {
  const result = await cli(args, { cwd, env });
  if (result.code !== 0)
    throw new Error(`phlow-keys ${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
  return result;
}

/** A fleet on a fresh key; `run` gets it, the key id, the kid book and the CLI's cwd/env. */
async function withFleet(
  storeEnv: TestEnv,
  run: (f: { fleet: Fleet; id: string; book: KeyBook; cwd: string; env: TestEnv }) => Promise<void>,
) {
  const cwd = await initProject(baseEnv());
  const id = uid('fleet');
  await ok(['generate', id], cwd, storeEnv);
  const book = new KeyBook();
  book.add(json(await ok(['jwks', id], cwd, storeEnv)));
  const fleet = new Fleet({
    size: REPLICAS,
    cwd,
    env: { ...(storeEnv as Record<string, string>), FLEET_KEY_ID: id },
  });
  try {
    await fleet.stagger(TTL_SECONDS * 1000);
    await run({ fleet, id, book, cwd, env: storeEnv });
  } finally {
    await fleet.stop();
    await cli(['delete', id, '--yes', '--destroy'], { cwd, env: storeEnv });
  }
}

/** `rotate <flags>` in its own process during traffic, until every replica signs with the new key. */
function rotateDuringTraffic(
  f: { fleet: Fleet; id: string; book: KeyBook; cwd: string; env: TestEnv },
  flags: string[] = [],
) {
  return f.fleet.rotateDuringTraffic({
    book: f.book,
    rotate: async () => json(await ok(['rotate', f.id, ...flags, '--json'], f.cwd, f.env)),
    jwks: async () => json(await ok(['jwks', f.id], f.cwd, f.env)),
  });
}

describe.each(stores)('a fleet of $name replicas', (store) => {
  it('0 failed verifications across a rotation and two more inside one grace period; each switch within delay + TTL', async () => {
    const env = store.env();
    await withFleet(env, async (f) => {
      for (let i = 0; i < 5; i++) await f.fleet.round();
      const samples: SignatureRecord[] = [f.fleet.signatures.at(-1)!];
      let previous = f.book.signer(samples[0]!.msg, samples[0]!.sig)!;
      for (let rotation = 0; rotation < 3; rotation++) {
        const { rotated, during } = await rotateDuringTraffic(f);
        expect(rotated.previousKid).toBe(previous);
        const activatesAt = Date.parse(rotated.activatesAt);
        for (const s of during) {
          const kid = f.book.signer(s.msg, s.sig);
          // Never a retired or unknown key; the old key until activation, the new one from delay + TTL on.
          expect([previous, rotated.kid]).toContain(kid);
          if (s.after < activatesAt) expect(kid).toBe(previous);
          if (s.before >= activatesAt + TTL_SECONDS * 1000) expect(kid).toBe(rotated.kid);
        }
        samples.push(during.findLast((s) => f.book.signer(s.msg, s.sig) === rotated.kid)!);
        previous = rotated.kid;
      }
      expect(f.fleet.errors).toEqual([]);
      expect(f.fleet.failed).toBe(0);
      expect(f.fleet.verifications).toBeGreaterThan(0);
      // Every key still in its grace period verifies on every replica: none was lost to a version limit.
      for (const s of samples) {
        const answers = await f.fleet.everyone({ op: 'verify', msg: s.msg, sig: s.sig });
        expect(answers.map((a) => a.ok)).toEqual(Array(REPLICAS).fill(true));
      }
    });
  }, 600_000);

  it('--now --revoke-previous: every replica signs with the new key and refuses the old one after one cache TTL', async () => {
    const env = store.env();
    await withFleet(env, async (f) => {
      for (let i = 0; i < 3; i++) await f.fleet.round();
      const old = f.fleet.signatures.at(-1)!;
      const { rotated } = await rotateDuringTraffic(f, ['--now', '--revoke-previous']);
      // The documented bound: one cache TTL (the stale window is 0 here) after the rotation returned.
      await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 500));
      const refused = await f.fleet.everyone({ op: 'verify', msg: old.msg, sig: old.sig });
      expect(refused.map((a) => a.ok)).toEqual(Array(REPLICAS).fill(false));
      const fresh = await f.fleet.replicas[0]!.request({ op: 'sign', msg: 'after' });
      expect(f.book.signer('after', fresh.sig!)).toBe(rotated.kid);
      const accepted = await f.fleet.everyone({ op: 'verify', msg: 'after', sig: fresh.sig! });
      expect(accepted.map((a) => a.ok)).toEqual(Array(REPLICAS).fill(true));
    });
  }, 600_000);

  it('8 processes running `rotate --if-older-than` at once: exactly one rotation', async () => {
    const env = store.env();
    const cwd = await initProject(baseEnv());
    const id = uid('cron');
    try {
      await ok(['generate', id], cwd, env);
      // The key must be older than the limit when they start, and the rotated key younger than it for
      // as long as they take to start: 10 s covers process start-up on a loaded machine.
      await new Promise((r) => setTimeout(r, 10_500));
      const results = await Promise.all(
        Array.from({ length: 8 }, () => ok(['rotate', id, '--if-older-than', '10s', '--json'], cwd, env)),
      );
      const shapes = results.map((r) => json(r));
      expect(shapes.filter((s) => s.rotated === true)).toHaveLength(1);
      const winner = shapes.find((s) => s.rotated)!;
      expect(shapes.filter((s) => !s.rotated).every((s) => s.kid === winner.kid)).toBe(true);
      expect(json(await ok(['jwks', id], cwd, env)).keys).toHaveLength(2);
    } finally {
      await cli(['delete', id, '--yes', '--destroy'], { cwd, env });
    }
  }, 600_000);
});

describe("jose's createRemoteJWKSet across a rotation", () => {
  it('verifies every token with 0 failures when its max age is within the rotation delay', async () => {
    const env = stores[0]!.env();
    const cwd = await initProject(baseEnv());
    const id = uid('jose');
    await ok(['generate', id], cwd, env);
    const open = () => fileStore.create({ env, cwd });
    const publisher = new KeyManager({ store: await open(), env });
    const signer = new KeyManager({ store: await open(), env });
    const server = createServer((_req, res) => {
      publisher.jwks([id]).then(
        (set) => {
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=1' });
          res.end(JSON.stringify(set));
        },
        () => {
          res.writeHead(503);
          res.end();
        },
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/jwks`), {
      cacheMaxAge: 1000,
      cooldownDuration: 500,
      timeoutDuration: 30_000,
    });
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const token = async (n: number) => {
      const key = await signer.getSigningKey(id);
      const input = `${b64({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })}.${b64({ sub: id, n })}`;
      return {
        kid: key.kid,
        jwt: `${input}.${Buffer.from(await signer.signWithKey(key, input)).toString('base64url')}`,
      };
    };
    let failures = 0;
    let verified = 0;
    const check = async (n: number) => {
      const { kid, jwt } = await token(n);
      try {
        const { protectedHeader } = await jwtVerify(jwt, jwks);
        expect(protectedHeader.kid).toBe(kid);
        verified++;
      } catch {
        failures++;
      }
      return kid;
    };
    try {
      const first = await check(0);
      // biome-ignore lint/suspicious/noExplicitAny: the rotate --json shape.
      let rotated: any;
      const rotating = ok(['rotate', id, '--json'], cwd, env).then((r) => {
        rotated = json(r);
      });
      let withNewKey = 0;
      for (let n = 1; withNewKey < 20; n++) {
        if (n > 20_000) throw new Error('the new key never signed');
        const kid = await check(n);
        if (rotated && kid === rotated.kid) withNewKey++;
      }
      await rotating;
      expect(rotated.previousKid).toBe(first);
      expect(failures).toBe(0);
      expect(verified).toBeGreaterThan(20);
    } finally {
      server.close();
      await publisher.close();
      await signer.close();
    }
  }, 600_000);
});
