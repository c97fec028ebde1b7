/** `token` and `verify-token`: round trips for both key types, --json shapes, exit codes, and no token in errors. */
import { spawn } from 'node:child_process';
import { verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { baseEnv, CLI, cli, initProject, json, pemBody, pemPair, type Result, tempDir } from './helpers.js';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString());

/** An RSA key (`py`, as a Python deployment has it) and an Ed25519 key (`ts`) in the environment store. */
function mixedKeys() {
  const rsa = pemPair('rsa');
  const ed = pemPair('ed25519');
  const env = baseEnv({
    PHLOW_PRIVATE_KEY_py: rsa.privateKey,
    PHLOW_PUBLIC_KEY_py: rsa.publicKey,
    PHLOW_PRIVATE_KEY_ts: ed.privateKey,
    PHLOW_PUBLIC_KEY_ts: ed.publicKey,
  });
  return { rsa, ed, env };
}

/** `phlow-keys verify-token` fed from a stdin the CLI may close early (it stops reading past the size bound). */
function verifyFromStdin(cwd: string, input: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'verify-token'], {
      cwd,
      env: baseEnv() as NodeJS.ProcessEnv,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {}); // EPIPE once the CLI has stopped reading: expected
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function projectWithKey(id: string): Promise<string> {
  const cwd = await initProject();
  const generated = await cli(['generate', id], { cwd });
  if (generated.code !== 0) throw new Error(`generate failed: ${generated.stderr}`);
  return cwd;
}

describe('token', () => {
  it('prints an EdDSA JWT of the current key that verify-token accepts, printing its claims (exit 0)', async () => {
    const cwd = await projectWithKey('agent');
    const made = await cli(
      ['token', 'agent', '--aud', 'peer', '--ttl', '2m', '--claims', '{"scope":"read"}'],
      { cwd },
    );
    expect(made.code).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(JWT);
    const [header, payload] = token.split('.').slice(0, 2).map(decode);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
    expect(payload).toMatchObject({ iss: 'agent', aud: 'peer', scope: 'read' });
    expect(payload.exp - payload.iat).toBe(120);
    const checked = await cli(['verify-token', token, '--aud', 'peer'], { cwd });
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toEqual(payload);
  });

  it('--json shapes of token and verify-token', async () => {
    const cwd = await projectWithKey('agent');
    const made = json(await cli(['token', 'agent', '--json'], { cwd }));
    const kid = json(await cli(['get', 'agent', '--json'], { cwd })).kid;
    expect(made).toEqual({
      keyId: 'agent',
      kid,
      alg: 'EdDSA',
      expiresAt: expect.any(String),
      token: expect.stringMatching(JWT),
    });
    const checked = json(await cli(['verify-token', made.token, '--json'], { cwd }));
    expect(checked).toEqual({
      valid: true,
      keyId: 'agent',
      kid,
      alg: 'EdDSA',
      claims: expect.objectContaining({ iss: 'agent' }),
    });
  });

  it('signs RS256 with an RSA key (here from the environment store, as a Python deployment has it)', async () => {
    const pair = pemPair('rsa');
    const env = baseEnv({ PHLOW_PRIVATE_KEY_py: pair.privateKey, PHLOW_PUBLIC_KEY_py: pair.publicKey });
    const cwd = tempDir();
    const made = await cli(['--store', 'environment', 'token', 'py'], { cwd, env });
    expect(made.code).toBe(0);
    expect(decode(made.stdout.split('.')[0]!).alg).toBe('RS256');
    const checked = await cli(['--store', 'environment', 'verify-token', made.stdout.trim()], { cwd, env });
    expect(checked.code).toBe(0);
    expect(made.stdout + made.stderr + checked.stdout + checked.stderr).not.toContain(
      pemBody(pair.privateKey).slice(0, 40),
    );
  });

  it('sign --json names the algorithm of the key that signed: RS256 for an RSA key, EdDSA for Ed25519', async () => {
    const { rsa, ed, env } = mixedKeys();
    const cwd = tempDir();
    for (const [id, alg, pem] of [
      ['py', 'RS256', rsa.publicKey],
      ['ts', 'EdDSA', ed.publicKey],
    ] as const) {
      const signed = json(
        await cli(['--store', 'environment', '--json', 'sign', id, '-m', 'hello'], { cwd, env }),
      );
      expect(signed).toMatchObject({ keyId: id, alg });
      const ok = verify(
        alg === 'RS256' ? 'sha256' : null,
        Buffer.from('hello'),
        pem,
        Buffer.from(signed.signature, 'base64url'),
      );
      expect(ok).toBe(true);
    }
  });

  it('jwks keeps working for mixed key types: an RSA and an Ed25519 key side by side, each verifying its tokens', async () => {
    const { env } = mixedKeys();
    const cwd = tempDir();
    const set = json(await cli(['--store', 'environment', 'jwks'], { cwd, env }));
    expect(set.keys.map((k: { kty: string; alg: string }) => `${k.kty}/${k.alg}`).sort()).toEqual([
      'OKP/EdDSA',
      'RSA/RS256',
    ]);
    for (const id of ['py', 'ts']) {
      const token = (await cli(['--store', 'environment', 'token', id], { cwd, env })).stdout.trim();
      const kid = decode(token.split('.')[0]!).kid;
      expect(set.keys.map((k: { kid: string }) => k.kid)).toContain(kid);
    }
  });

  it('usage errors exit 2 without echoing the input: bad --ttl, --claims that is not a JSON object, reserved claims', async () => {
    const cwd = await projectWithKey('agent');
    for (const args of [
      ['--ttl', '5 minutes'],
      ['--ttl', '30d'],
      ['--claims', '{"secret-ish": '],
      ['--claims', '[1,2]'],
      ['--claims', '{"exp": 1}'],
    ]) {
      const result = await cli(['token', 'agent', ...args], { cwd });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toContain('secret-ish');
    }
  });

  it('a missing key id exits 3', async () => {
    const cwd = await initProject();
    expect((await cli(['token', 'nobody'], { cwd })).code).toBe(3);
  });
});

describe('verify-token', () => {
  it('refuses with exit 1 and the reason code, never printing the token: wrong audience, tampered, expired-like, garbage', async () => {
    const cwd = await projectWithKey('agent');
    const token = (await cli(['token', 'agent', '--aud', 'peer'], { cwd })).stdout.trim();
    const [h, p, s] = token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...decode(p!), aud: 'other' })).toString('base64url')}.${s}`;
    for (const [candidate, args, code] of [
      [token, ['--aud', 'someone-else'], 'AUDIENCE_MISMATCH'],
      [token, [], 'AUDIENCE_MISMATCH'],
      [tampered, ['--aud', 'other'], 'SIGNATURE_INVALID'],
      ['not-a-token', [], 'MALFORMED'],
      [`${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`, ['--aud', 'peer'], 'ALG_REFUSED'],
    ] as const) {
      const result = await cli(['verify-token', candidate, ...args], { cwd });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`(${code})`);
      expect(result.stdout + result.stderr).not.toContain(p!);
      const asJson = json(await cli(['verify-token', candidate, ...args, '--json'], { cwd }));
      expect(asJson).toEqual({ valid: false, error: { code, message: expect.any(String), exitCode: 1 } });
      expect(JSON.stringify(asJson)).not.toContain(p!);
    }
  });

  it('reads the token from stdin (no argument, or -), and refuses a 1 MB stdin as TOO_LARGE without reading it all', async () => {
    const cwd = await projectWithKey('agent');
    const token = (await cli(['token', 'agent'], { cwd })).stdout;
    expect((await cli(['verify-token'], { cwd, input: token })).code).toBe(0);
    expect((await cli(['verify-token', '-'], { cwd, input: token })).code).toBe(0);
    const huge = await verifyFromStdin(cwd, 'A'.repeat(1024 * 1024));
    expect(huge.code).toBe(1);
    expect(huge.stderr).toContain('(TOO_LARGE)');
  });

  it('a token whose issuer has no key in this store is refused, exit 1 (ISSUER_UNKNOWN), and --issuer names the key id', async () => {
    const signer = await projectWithKey('agent');
    const token = (await cli(['token', 'agent'], { cwd: signer })).stdout.trim();
    const other = await projectWithKey('someone');
    const unknown = await cli(['verify-token', token], { cwd: other });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('(ISSUER_UNKNOWN)');
    expect(unknown.stderr).not.toContain('"agent"');
    const wrongIssuer = await cli(['verify-token', token, '--issuer', 'someone'], { cwd: other });
    expect(wrongIssuer.code).toBe(1);
    expect(wrongIssuer.stderr).toMatch(/\((KID_UNKNOWN|ISSUER_MISMATCH)\)/);
  });
});
