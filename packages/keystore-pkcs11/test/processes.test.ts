/**
 * Rotation from several processes at once on one SoftHSM2 token (a fleet's cron jobs): of 4 processes that
 * rotate the same version, exactly one wins, the others get CONFLICT, and the token holds one new version.
 * The children load the BUILT package (dist/), as a deployed application does.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestStore, tokenEnv, uid } from './helpers.js';

const DIST = resolve(import.meta.dirname, '../dist/index.js');

function child(keyId: string): Promise<string> {
  const script = `
    const { createPkcs11KeyStore } = await import(${JSON.stringify(DIST)});
    const store = createPkcs11KeyStore();
    const outcome = await store.rotateKey(${JSON.stringify(keyId)}, { expectedVersion: '1' }).then(() => 'ok', (e) => e.code ?? String(e));
    await store.close();
    process.stdout.write(outcome);`;
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...tokenEnv() },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('error', fail);
    p.on('close', (code) => (code === 0 ? done(out) : fail(new Error(`child exited ${code}: ${err}`))));
  });
}

describe('pkcs11 rotation across processes', () => {
  it('4 processes rotate one version at once: one wins, 3 get CONFLICT, one new version stays', {
    timeout: 300_000,
  }, async () => {
    if (!existsSync(DIST))
      throw new Error(
        `${DIST} is missing: build first (pnpm turbo run build --filter=@phlow/keystore-pkcs11)`,
      );
    const store = createTestStore();
    const keyId = uid('race');
    try {
      await store.createKey(keyId);
      const outcomes = await Promise.all([1, 2, 3, 4].map(() => child(keyId)));
      expect(outcomes.filter((o) => o === 'ok').length, outcomes.join(', ')).toBe(1);
      expect(outcomes.filter((o) => o === 'CONFLICT').length, outcomes.join(', ')).toBe(3);
      const versions = await store.getPublicKeyVersions(keyId);
      expect(versions.map((v) => v.version)).toEqual(['2', '1']);
      const sig = await store.sign(keyId, new Uint8Array([1]));
      expect(sig.length).toBe(64);
    } finally {
      await store.deleteKeyPair(keyId);
      await store.close();
    }
  });
});
