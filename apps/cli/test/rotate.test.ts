/**
 * `rotate` and `list` on the rotation timeline (encrypted file store): when the new key starts signing,
 * each key's age, scheduled rotation by age and emergency rotation. The fleet of processes is fleet.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, initProject, json } from './helpers.js';

describe('rotate: staged activation', () => {
  it('prints when the new key starts signing; list shows it, and signing keeps the old key until then', async () => {
    const cwd = await initProject();
    const env = baseEnv({ PHLOW_KEY_ROTATION_DELAY_SECONDS: '3600' });
    const { kid: oldKid } = json(await cli(['generate', 'a', '--json'], { cwd, env }));
    const text = await cli(['rotate', 'a'], { cwd, env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/starts signing\s+\d{4}-\S+ \(in 1h\)/);
    const listed = json(await cli(['list', '--json'], { cwd, env })).keys[0];
    expect(listed.signingKid).toBe(oldKid);
    expect(listed.kid).not.toBe(oldKid);
    expect(Date.parse(listed.activatesAt) - Date.now()).toBeGreaterThan(3_500_000);
    expect(listed.ageSeconds).toBeGreaterThanOrEqual(0);
    const table = (await cli(['list'], { cwd, env })).stdout;
    expect(table).toMatch(/from \d{4}-/);
    // Signing still uses the old key: the signature verifies with the old key's JWK alone.
    const signature = (await cli(['sign', 'a', '--message', 'm'], { cwd, env })).stdout.trim();
    const { verify, createPublicKey } = await import('node:crypto');
    const jwks = json(await cli(['jwks', 'a'], { cwd, env }));
    const old = jwks.keys.find((k: { kid: string }) => k.kid === oldKid);
    expect(
      verify(
        null,
        Buffer.from('m'),
        createPublicKey({ key: old, format: 'jwk' }),
        Buffer.from(signature, 'base64url'),
      ),
    ).toBe(true);
    // The activation time was fixed at rotation and stored with the version: a process with another delay
    // setting (here 0) agrees that the old key still signs.
    const now = baseEnv({ PHLOW_KEY_ROTATION_DELAY_SECONDS: '0' });
    expect(json(await cli(['list', '--json'], { cwd, env: now })).keys[0].signingKid).toBe(oldKid);
  });
});

describe('get during a staged rotation', () => {
  it('prints both halves of one pair, the key that signs now (not the newest, which waits)', async () => {
    const cwd = await initProject();
    const env = baseEnv({ PHLOW_KEY_ROTATION_DELAY_SECONDS: '3600' });
    const { kid: oldKid } = json(await cli(['generate', 'a', '--json'], { cwd, env }));
    const { kid: newKid } = json(await cli(['rotate', 'a', '--json'], { cwd, env }));
    const { createPrivateKey, createPublicKey } = await import('node:crypto');
    const publicPem = (await cli(['get', 'a'], { cwd, env })).stdout;
    const privatePem = (await cli(['get', 'a', '--private'], { cwd, env })).stdout;
    const fromPrivate = createPublicKey(createPrivateKey(privatePem)).export({ format: 'pem', type: 'spki' });
    expect(createPublicKey(publicPem).export({ format: 'pem', type: 'spki' })).toBe(fromPrivate);
    const shown = json(await cli(['get', 'a', '--json'], { cwd, env }));
    expect(shown.kid).toBe(oldKid);
    expect(json(await cli(['get', 'a', '--private', '--json'], { cwd, env })).kid).toBe(oldKid);
    // Both are published meanwhile; list names the waiting one.
    expect(json(await cli(['list', '--json'], { cwd, env })).keys[0]).toMatchObject({
      kid: newKid,
      signingKid: oldKid,
    });
  });
});

describe('rotate --if-older-than', () => {
  it('skips a young key (exit 0), rotates an old enough one, and refuses a bad age (exit 2)', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const young = await cli(['rotate', 'a', '--if-older-than', '90d', '--json'], { cwd });
    expect(young.code).toBe(0);
    expect(json(young)).toMatchObject({ rotated: false, ageSeconds: expect.any(Number) });
    expect((await cli(['rotate', 'a', '--if-older-than', '90d'], { cwd })).stdout).toMatch(
      /not rotated: key a is \S+ old, younger than 90d/,
    );
    const due = json(await cli(['rotate', 'a', '--if-older-than', '0s', '--json'], { cwd }));
    expect(due.rotated).toBe(true);
    const scheduledRevoke = await cli(['rotate', 'a', '--if-older-than', '1d', '--revoke-previous'], { cwd });
    expect(scheduledRevoke.code).toBe(2);
    const bad = await cli(['rotate', 'a', '--if-older-than', '90 days'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--if-older-than');
  });

  it('reads the age in the one duration grammar of phlow-keys (the kit parseDuration): plain seconds too', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    // 90 days in plain seconds, as a PHLOW_*_SECONDS setting would say it: a fresh key is younger.
    const young = json(await cli(['rotate', 'a', '--if-older-than', '7776000', '--json'], { cwd }));
    expect(young.rotated).toBe(false);
    expect(json(await cli(['rotate', 'a', '--if-older-than', '0', '--json'], { cwd })).rotated).toBe(true);
    // What the grammar refuses, rotate refuses as a usage error (the CLI's own combinations are gone).
    const combined = await cli(['rotate', 'a', '--if-older-than', '1d12h'], { cwd });
    expect(combined.code).toBe(2);
    expect(combined.stderr).toContain('plain seconds');
  });
});

describe('rotate --now / --revoke-previous', () => {
  it('--now writes once on the file store (it keeps activation times): one version slot, signing at once', async () => {
    const cwd = await initProject();
    expect(json(await cli(['generate', 'a', '--json'], { cwd })).version).toBe('1');
    const rotated = json(await cli(['rotate', 'a', '--now', '--json'], { cwd }));
    expect(json(await cli(['list', '--json'], { cwd })).keys[0]).toMatchObject({
      kid: rotated.kid,
      version: '2',
      signingKid: rotated.kid,
    });
  });
  it('--now signs with the new key at once; the old signature still verifies', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const before = (await cli(['sign', 'a', '--message', 'm'], { cwd })).stdout.trim();
    const rotated = json(await cli(['rotate', 'a', '--now', '--json'], { cwd }));
    expect(Date.parse(rotated.activatesAt)).toBeLessThanOrEqual(Date.now());
    // The report says what this rotation did: no delay; the old key keeps its grace period.
    expect(rotated).toMatchObject({ rotationDelaySeconds: 0, gracePeriodSeconds: 86400 });
    expect(json(await cli(['list', '--json'], { cwd })).keys[0]).toMatchObject({
      kid: rotated.kid,
      signingKid: rotated.kid,
      activatesAt: null,
      verifyingKeys: 2,
    });
    expect((await cli(['verify', 'a', `--signature=${before}`, '--message', 'm'], { cwd })).code).toBe(0);
  });

  it('--revoke-previous: the old key no longer verifies and is gone from the JWK Set', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const before = (await cli(['sign', 'a', '--message', 'm'], { cwd })).stdout.trim();
    const rotated = json(await cli(['rotate', 'a', '--revoke-previous', '--json'], { cwd }));
    expect(rotated).toMatchObject({ rotationDelaySeconds: 0, gracePeriodSeconds: 0 });
    expect((await cli(['verify', 'a', `--signature=${before}`, '--message', 'm'], { cwd })).code).toBe(1);
    expect(json(await cli(['jwks', 'a'], { cwd })).keys.map((k: { kid: string }) => k.kid)).toEqual([
      rotated.kid,
    ]);
    const after = (await cli(['sign', 'a', '--message', 'm'], { cwd })).stdout.trim();
    expect((await cli(['verify', 'a', `--signature=${after}`, '--message', 'm'], { cwd })).code).toBe(0);
    const text = await cli(['rotate', 'a', '--revoke-previous'], { cwd });
    expect(text.stdout).toMatch(/grace period\s+none \(--revoke-previous\)/);
  });
});
