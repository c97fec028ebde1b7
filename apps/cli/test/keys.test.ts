/** The key commands on the encrypted file store, the CLI's default: happy paths, --json shapes, exit codes. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, initProject, json, tempDir } from './helpers.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('init', () => {
  it('creates .phlow/ (0700), master.key and keys.enc (0600), ignores .phlow/ and prints the next step', async () => {
    const cwd = tempDir();
    const result = await cli(['init'], { cwd });
    expect(result.code).toBe(0);
    expect(mode(join(cwd, '.phlow'))).toBe(0o700);
    expect(mode(join(cwd, '.phlow/master.key'))).toBe(0o600);
    expect(mode(join(cwd, '.phlow/keys.enc'))).toBe(0o600);
    expect(readFileSync(join(cwd, '.phlow/master.key'), 'utf8')).toMatch(/^base64:[A-Za-z0-9+/]{43}=\n$/);
    expect(readFileSync(join(cwd, '.gitignore'), 'utf8')).toContain('\n.phlow/\n');
    expect(result.stdout).toContain('export PHLOW_KEY_STORE_TYPE=encrypted_file');
    expect(result.stdout).toContain('export PHLOW_MASTER_KEY_FILE=.phlow/master.key');
    // The master key is never printed.
    expect(result.stdout + result.stderr).not.toContain(
      readFileSync(join(cwd, '.phlow/master.key'), 'utf8').trim(),
    );
  });

  it('--json shape', async () => {
    const result = await cli(['init', '--json'], { cwd: tempDir() });
    expect(json(result)).toEqual({
      directory: '.phlow',
      masterKeyFile: '.phlow/master.key',
      keyFile: '.phlow/keys.enc',
      gitignore: { path: '.gitignore', added: ['.phlow/'] },
      env: { PHLOW_KEY_STORE_TYPE: 'encrypted_file', PHLOW_MASTER_KEY_FILE: '.phlow/master.key' },
    });
  });

  it('refuses to overwrite a master key (exit 8) and leaves it as it was', async () => {
    const cwd = await initProject();
    const before = readFileSync(join(cwd, '.phlow/master.key'), 'utf8');
    const result = await cli(['init'], { cwd });
    expect(result.code).toBe(8);
    expect(result.stderr).toContain('init never overwrites a master key');
    expect(readFileSync(join(cwd, '.phlow/master.key'), 'utf8')).toBe(before);
  });

  it('appends to an existing .gitignore once, and not at all when .phlow is already ignored', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.gitignore'), 'node_modules');
    await cli(['init'], { cwd });
    expect(readFileSync(join(cwd, '.gitignore'), 'utf8')).toMatch(
      /^node_modules\n\n# phlow-keys.*\n\.phlow\/\n$/,
    );

    const other = tempDir();
    writeFileSync(join(other, '.gitignore'), '/.phlow\n');
    const result = await cli(['init', '--json'], { cwd: other });
    expect(json(result).gitignore.added).toEqual([]);
    expect(readFileSync(join(other, '.gitignore'), 'utf8')).toBe('/.phlow\n');
  });

  it('commands find .phlow/master.key without any export; an exported key file works the same', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const exported = baseEnv({
      PHLOW_KEY_STORE_TYPE: 'encrypted_file',
      PHLOW_MASTER_KEY_FILE: '.phlow/master.key',
    });
    expect(json(await cli(['list', '--json'], { cwd, env: exported })).keys).toHaveLength(1);
  });
});

describe('generate, get, list', () => {
  it('generate --json shape', async () => {
    const cwd = await initProject();
    const result = await cli(['generate', 'my-agent', '--json'], { cwd });
    expect(result.code).toBe(0);
    expect(json(result)).toEqual({
      keyId: 'my-agent',
      kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      alg: 'EdDSA',
      keyType: 'Ed25519',
      version: '1',
      createdAt: expect.any(String),
      store: 'encrypted_file',
    });
  });

  it('get prints the public key PEM by default and a JWK with --format jwk', async () => {
    const cwd = await initProject();
    const { kid } = json(await cli(['generate', 'a', '--json'], { cwd }));
    const pem = await cli(['get', 'a'], { cwd });
    expect(pem.code).toBe(0);
    expect(pem.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const jwk = json(await cli(['get', 'a', '--format', 'jwk'], { cwd }));
    expect(jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid, use: 'sig', alg: 'EdDSA' });
  });

  it('get --json shape has no private key', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const shape = json(await cli(['get', 'a', '--json'], { cwd }));
    expect(Object.keys(shape).sort()).toEqual(
      ['keyId', 'kid', 'alg', 'keyType', 'version', 'createdAt', 'publicKey', 'jwk'].sort(),
    );
  });

  it('get --private prints the private key (PEM or JWK with d)', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const pem = await cli(['get', 'a', '--private'], { cwd });
    expect(pem.stdout).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    // Not on a terminal, so no warning.
    expect(pem.stderr).toBe('');
    const jwk = json(await cli(['get', 'a', '--private', '--format', 'jwk'], { cwd }));
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', d: expect.any(String), x: expect.any(String) });
    const shape = json(await cli(['get', 'a', '--private', '--json'], { cwd }));
    expect(shape.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('list shows each key; --json shape', async () => {
    const cwd = await initProject();
    await cli(['generate', 'b'], { cwd });
    await cli(['generate', 'a'], { cwd });
    const table = await cli(['list'], { cwd });
    expect(table.stdout.split('\n')[0]).toMatch(
      /^ID\s+KID\s+ALG\s+VERSION\s+CREATED\s+AGE\s+SIGNS\s+VERIFYING$/,
    );
    const shape = json(await cli(['list', '--json'], { cwd }));
    expect(shape.store).toBe('encrypted_file');
    expect(shape.keys.map((k: { keyId: string }) => k.keyId)).toEqual(['a', 'b']);
    expect(shape.keys[0]).toEqual({
      keyId: 'a',
      kid: expect.any(String),
      alg: 'EdDSA',
      keyType: 'Ed25519',
      version: '1',
      createdAt: expect.any(String),
      ageSeconds: expect.any(Number),
      signingKid: shape.keys[0].kid,
      activatesAt: null,
      verifyingKeys: 1,
    });
  });
});

describe('sign, verify, rotate, jwks', () => {
  it('sign prints a base64url signature that verify accepts (exit 0) and rejects for another message (exit 1)', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const signed = await cli(['sign', 'a', '--message', 'hello'], { cwd });
    expect(signed.code).toBe(0);
    const signature = signed.stdout.trim();
    expect(signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect((await cli(['verify', 'a', `--signature=${signature}`, '--message', 'hello'], { cwd })).code).toBe(
      0,
    );
    const bad = await cli(['verify', 'a', `--signature=${signature}`, '--message', 'hellO'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('invalid');
  });

  it('reads the message from stdin byte for byte when --message is not given', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const message = 'line 1\nline 2\n';
    const signature = (await cli(['sign', 'a'], { cwd, input: message })).stdout.trim();
    expect((await cli(['verify', 'a', `--signature=${signature}`], { cwd, input: message })).code).toBe(0);
    expect(
      (await cli(['verify', 'a', `--signature=${signature}`, '--message', 'line 1\nline 2'], { cwd })).code,
    ).toBe(1);
  });

  it('sign and verify --json shapes', async () => {
    const cwd = await initProject();
    const { kid } = json(await cli(['generate', 'a', '--json'], { cwd }));
    const signed = json(await cli(['sign', 'a', '--message', 'm', '--json'], { cwd }));
    expect(signed).toEqual({ keyId: 'a', kid, alg: 'EdDSA', signature: expect.any(String) });
    const verified = await cli(
      ['verify', 'a', `--signature=${signed.signature}`, '--message', 'm', '--json'],
      { cwd },
    );
    expect(json(verified)).toEqual({ keyId: 'a', valid: true });
    const forged = await cli(['verify', 'a', '--signature=AAAA', '--message', 'm', '--json'], { cwd });
    expect(forged.code).toBe(1);
    expect(json(forged)).toEqual({
      keyId: 'a',
      valid: false,
      error: { code: 'SIGNATURE_INVALID', message: expect.any(String), exitCode: 1 },
    });
  });

  it('verify of an unknown id is NOT_FOUND (exit 3), not "invalid"', async () => {
    const cwd = await initProject();
    const result = await cli(['verify', 'nobody', '--signature=AAAA', '--message', 'm'], { cwd });
    expect(result.code).toBe(3);
  });

  it('rotate: --json shape; both keys in the JWK Set; a signature from before still verifies during the grace period', async () => {
    const cwd = await initProject();
    const { kid: oldKid } = json(await cli(['generate', 'a', '--json'], { cwd }));
    const signature = (await cli(['sign', 'a', '--message', 'before'], { cwd })).stdout.trim();
    const rotated = await cli(['rotate', 'a', '--json'], { cwd });
    expect(rotated.code).toBe(0);
    const shape = json(rotated);
    expect(shape).toEqual({
      keyId: 'a',
      store: 'encrypted_file',
      kid: expect.any(String),
      alg: 'EdDSA',
      rotated: true,
      previousKid: oldKid,
      activatesAt: expect.any(String),
      rotationDelaySeconds: 900,
      gracePeriodSeconds: 86400,
      previousRetiresAt: expect.any(String),
    });
    expect(shape.kid).not.toBe(oldKid);
    const retires = Date.parse(shape.previousRetiresAt) - Date.now();
    expect(retires).toBeGreaterThan(86_000_000);

    const jwks = json(await cli(['jwks'], { cwd }));
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([shape.kid, oldKid]);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
    expect(json(await cli(['list', '--json'], { cwd })).keys[0].verifyingKeys).toBe(2);
    expect(
      (await cli(['verify', 'a', `--signature=${signature}`, '--message', 'before'], { cwd })).code,
    ).toBe(0);

    // A key retires a grace period after it last signs: with no grace period, the old key still verifies while
    // it signs (until the activation time the rotation stored), then no longer.
    const noGrace = baseEnv({ PHLOW_KEY_ROTATION_GRACE_SECONDS: '0', PHLOW_KEY_ROTATION_DELAY_SECONDS: '0' });
    expect(
      (await cli(['verify', 'a', `--signature=${signature}`, '--message', 'before'], { cwd, env: noGrace }))
        .code,
    ).toBe(0);
    expect(json(await cli(['jwks', 'a'], { cwd, env: noGrace })).keys).toHaveLength(2);
    expect(json(await cli(['rotate', 'a', '--now', '--json'], { cwd, env: noGrace })).rotated).toBe(true);
    expect(
      (await cli(['verify', 'a', `--signature=${signature}`, '--message', 'before'], { cwd, env: noGrace }))
        .code,
    ).toBe(1);
    expect(json(await cli(['jwks', 'a'], { cwd, env: noGrace })).keys).toHaveLength(1);
  });

  it('rotate prints the old and new kid and the grace period', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const result = await cli(['rotate', 'a'], {
      cwd,
      env: baseEnv({ PHLOW_KEY_ROTATION_GRACE_SECONDS: '3600' }),
    });
    expect(result.stdout).toMatch(/new kid\s+\S+/);
    expect(result.stdout).toMatch(/old kid\s+\S+/);
    expect(result.stdout).toMatch(/grace period\s+1h/);
    expect(result.stdout).toMatch(/old key retires\s+\d{4}-/);
  });

  it('rotate of an unknown id exits 3', async () => {
    const cwd = await initProject();
    expect((await cli(['rotate', 'nobody'], { cwd })).code).toBe(3);
  });

  it('jwks with ids gives only those', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    await cli(['generate', 'b'], { cwd });
    expect(json(await cli(['jwks'], { cwd })).keys).toHaveLength(2);
    expect(json(await cli(['jwks', 'b'], { cwd })).keys).toHaveLength(1);
    expect((await cli(['jwks', 'c'], { cwd })).code).toBe(3);
  });
});

describe('delete', () => {
  it('refuses without a terminal and without --yes (exit 2) and deletes nothing', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const result = await cli(['delete', 'a'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pass --yes');
    expect((await cli(['get', 'a'], { cwd })).code).toBe(0);
  });

  it('--yes deletes; the key is then not found', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const result = await cli(['delete', 'a', '--yes', '--json'], { cwd });
    expect(result.code).toBe(0);
    expect(json(result)).toEqual({ keyId: 'a', deleted: true, destroyed: false });
    expect((await cli(['get', 'a'], { cwd })).code).toBe(3);
  });

  it('an unknown id exits 3', async () => {
    const cwd = await initProject();
    expect((await cli(['delete', 'nobody', '--yes'], { cwd })).code).toBe(3);
  });
});
