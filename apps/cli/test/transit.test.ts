/**
 * The CLI on a store whose keys never leave the backend: Vault Transit on the real Vault dev server
 * (tooling/services/with-services.sh). generate, sign, verify, token, verify-token, jwks, list, rotate and doctor work; `get`
 * prints the public key; `get --private` and `rotate --now` refuse, saying why; no output carries a private key.
 */
import { createPublicKey, verify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, cli, json, tempDir, uid } from './helpers.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run these tests through tooling/services/with-services.sh`);
  return value;
}

const mount = `cli-transit-${Date.now().toString(36)}`;
const env = () =>
  baseEnv({
    PHLOW_KEY_STORE_TYPE: 'vault_transit',
    PHLOW_VAULT_TRANSIT_MOUNT: mount,
    VAULT_ADDR: required('VAULT_ADDR'),
    VAULT_TOKEN: required('VAULT_TOKEN'),
  });

describe('phlow-keys on vault_transit', () => {
  const cwd = tempDir('transit');
  beforeAll(async () => {
    const response = await fetch(`${required('VAULT_ADDR')}/v1/sys/mounts/${mount}`, {
      method: 'POST',
      headers: { 'X-Vault-Token': required('VAULT_TOKEN'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'transit' }),
    });
    expect(response.ok).toBe(true);
  });

  it('generate, sign, verify, jwks, list, rotate, get; get --private refuses', {
    timeout: 300_000,
  }, async () => {
    const id = uid('tr');
    const all: string[] = [];
    const run = async (args: string[], input?: string) => {
      const r = await cli(args, { cwd, env: env(), input });
      all.push(r.stdout, r.stderr);
      return r;
    };
    const generated = await run(['generate', id, '--json']);
    expect(generated.code, generated.stderr).toBe(0);
    const { kid } = json(generated);

    const signed = await run(['sign', id, '--message', 'hello', '--json']);
    expect(signed.code, signed.stderr).toBe(0);
    const { signature } = json(signed);
    expect(json(signed).kid).toBe(kid);
    const ok = await run(['verify', id, `--signature=${signature}`, '--message', 'hello']);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await run(['verify', id, `--signature=${signature}`, '--message', 'other']);
    expect(bad.code).toBe(1);

    const jwks = json(await run(['jwks', id]));
    const jwk = jwks.keys.find((k: { kid: string }) => k.kid === kid);
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    expect(verify(null, Buffer.from('hello'), key, Buffer.from(signature, 'base64url'))).toBe(true);

    // A JWT signed inside Transit (keys-jwt signs through KeyManager's one seam) that verify-token accepts.
    const token = await run(['token', id, '--aud', 'peer', '--json']);
    expect(token.code, token.stderr).toBe(0);
    expect(json(token)).toMatchObject({ kid, alg: 'EdDSA' });
    const checked = await run(['verify-token', '--aud', 'peer', '--json'], json(token).token);
    expect(checked.code, checked.stderr).toBe(0);
    expect(json(checked)).toMatchObject({ valid: true, keyId: id, kid });

    const listed = json(await run(['list', '--json']));
    expect(listed.keys.map((k: { keyId: string }) => k.keyId)).toContain(id);

    const pub = await run(['get', id]);
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stdout).toMatch(/BEGIN PUBLIC KEY/);
    const priv = await run(['get', id, '--private']);
    expect(priv.code).not.toBe(0);
    expect(priv.stderr).toMatch(/never leaves vault_transit/);

    // A new version made inside Transit cannot sign at once while the previous one still verifies.
    const now = await run(['rotate', id, '--now']);
    expect(now.code).toBe(7);
    expect(now.stderr).toMatch(/cannot make .* sign at once while the previous one verifies/);

    const rotated = await run(['rotate', id, '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(json(rotated).previousKid).toBe(kid);
    // The default delay: the previous key still signs, so `sign --json` names it.
    expect(json(await run(['sign', id, '--message', 'x', '--json'])).kid).toBe(kid);
    expect(json(await run(['jwks', id])).keys.length).toBe(2);

    const migrate = await run(['migrate', '--from', 'environment', '--to', 'vault_transit', id]);
    expect(migrate.code).not.toBe(0);
    expect(migrate.stderr).toMatch(/takes no key material/);

    const doctor = await run(['doctor']);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);

    const deleted = await run(['delete', id, '--yes']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(all.join('\n')).not.toMatch(/PRIVATE KEY|"d":/);
  });
});
