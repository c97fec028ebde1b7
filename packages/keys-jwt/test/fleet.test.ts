// The fleet after `rotate --now` (issue 19, item 2), with real processes on the file store, the real Vault and
// Secrets Manager (moto; `pnpm test` runs under with-services.sh): an issuer process
// signing and serving its JWK Set over real HTTP (createJwksNodeHandler), `rotate` from a separate process,
// and a jose createRemoteJWKSet verifier here. Short settings (signing recheck 300 ms, JWKS revalidation 1 s,
// jose cooldown 1 s) and bounds counted in rechecks and JWK Set fetches, never in wall-clock time:
// - the issuer signs with the new key at most 2 signing rechecks after the rotation returned (one may have
//   been reading when it did);
// - the verifier accepts the new key's tokens at most 2 JWK Set fetches after the issuer switched (the first
//   may get a set built just before the rotation, within one revalidation);
// - a staged rotation meanwhile: 0 refused tokens.
// bench/fleet.bench.mjs runs the same scenario with every setting at its default and prints the times.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyManager } from '@phlow/keys-core';
import { generateMasterKey } from '@phlow/keystore-file';
import { afterAll, describe, expect, it } from 'vitest';
import { remoteVerifier, rotateElsewhere, type FleetSigned as Signed, startIssuer } from './fleet/fleet.mjs';
import { openStore } from './fleet/store.mjs';

const dir = mkdtempSync(join(tmpdir(), 'phlow-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pause = () => new Promise((resolve) => setTimeout(resolve, 25));
/** A guard against a hang, not a time bound: the assertions count rechecks and fetches. */
const MAX_STEPS = 4000;

/** The store's variables: the file's path and key, or what with-services.sh exported for Vault and moto. */
function storeEnv(kind: 'file' | 'vault' | 'aws'): Record<string, string> {
  const services = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => /^(VAULT_|AWS_)/.test(e[0]) && !!e[1]),
  );
  if (kind === 'vault' && !services.VAULT_ADDR)
    throw new Error('run through tooling/services/with-services.sh (pnpm test does)');
  if (kind === 'aws' && !services.AWS_ENDPOINT_URL_SECRETS_MANAGER)
    throw new Error('run through tooling/services/with-services.sh (pnpm test does)');
  const base = { PATH: process.env.PATH ?? '', HOME: dir, FLEET_STORE: kind };
  if (kind === 'file') {
    return { ...base, PHLOW_KEY_STORE_FILE: join(dir, 'keys.enc'), PHLOW_MASTER_KEY: generateMasterKey() };
  }
  return { ...base, ...services };
}

describe.each(['file', 'vault', 'aws'] as const)(
  'fleet on %s: rotate --now from another process reaches the issuer and a jose verifier',
  (kind) => {
    it('issuer switches within 2 rechecks, verifier accepts within 2 fetches; staged rotation: 0 refused', async () => {
      const env = {
        ...storeEnv(kind),
        PHLOW_KEY_CACHE_SIGNING_RECHECK_SECONDS: '300ms',
        PHLOW_KEY_ROTATION_DELAY_SECONDS: '4',
        FLEET_JWKS_REVALIDATE_SECONDS: '1',
      };
      const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
      const ids = { urgent: `fleet-urgent-${suffix}`, staged: `fleet-staged-${suffix}` };
      const setup = new KeyManager({ store: await openStore(kind, env), env });
      await setup.generateKeyPair(ids.urgent);
      await setup.generateKeyPair(ids.staged);

      const issuer = await startIssuer(env);
      try {
        const verify = remoteVerifier(issuer.url, { cooldownDuration: 1000 });
        const first: Signed = await issuer.sign(ids.urgent);
        expect(await verify(first.token, ids.urgent)).toBe(true);

        // Emergency rotation from another process.
        const rotated = await rotateElsewhere(env, ids.urgent, true);
        expect(rotated.previousKid).toBe(first.kid);
        const atRotation: Signed = await issuer.stats();
        let switched: Signed | undefined;
        for (let i = 0; i < MAX_STEPS && !switched; i++) {
          const signed: Signed = await issuer.sign(ids.urgent);
          if (signed.kid === rotated.kid) switched = signed;
          else {
            expect(signed.kid).toBe(first.kid);
            await pause();
          }
        }
        expect(switched).toBeDefined();
        expect(switched!.rechecks - atRotation.rechecks).toBeLessThanOrEqual(2);

        let accepted: Signed | undefined;
        for (let i = 0; i < MAX_STEPS && !accepted; i++) {
          const signed: Signed = await issuer.sign(ids.urgent);
          expect(signed.kid).toBe(rotated.kid); // never back to the old key
          if (await verify(signed.token, ids.urgent)) accepted = signed;
          else await pause();
        }
        expect(accepted).toBeDefined();
        const fetches = (await issuer.stats()).jwksRequests - switched!.jwksRequests;
        expect(fetches).toBeGreaterThanOrEqual(1);
        expect(fetches).toBeLessThanOrEqual(2);
        // The old key still verifies (its grace period).
        expect(await verify(first.token, ids.urgent)).toBe(true);

        // A staged rotation: published at once, signing after the 4 s delay; no token is ever refused.
        const staged = await rotateElsewhere(env, ids.staged, false);
        let stagedRefused = 0;
        let signedWithNew = 0;
        for (let i = 0; i < MAX_STEPS && signedWithNew < 20; i++) {
          const signed: Signed = await issuer.sign(ids.staged);
          expect(signed.error).toBeUndefined();
          if (signed.kid === staged.kid) signedWithNew++;
          else expect(signed.kid).toBe(staged.previousKid);
          if (!(await verify(signed.token, ids.staged))) stagedRefused++;
          await pause();
        }
        expect(signedWithNew).toBe(20);
        expect(stagedRefused).toBe(0);
      } finally {
        await issuer.stop();
        for (const id of Object.values(ids)) await setup.deleteKeyPair(id, { destroy: true }).catch(() => {});
        await setup.close();
      }
    });
  },
);
