/** `card sign` and `card verify`: round trips, --json shapes, exit codes, refusals, and jku never fetched. */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, initProject, json } from './helpers.js';

const CARD = {
  name: 'My Agent',
  description: 'Secure agent',
  version: '1.0.0',
  skills: [{ id: 'chat', name: 'Chat' }],
};

let cwd: string;
let signed: Record<string, unknown>;
let hits = 0;
const server = createServer((_req, res) => {
  hits++;
  res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(servedJwks);
});
let servedJwks = '{"keys":[]}';
let base: string;

beforeAll(async () => {
  cwd = await initProject();
  expect((await cli(['generate', 'agent', '--alg', 'ES256'], { cwd })).code).toBe(0);
  writeFileSync(join(cwd, 'card.json'), JSON.stringify(CARD));
  const made = await cli(['card', 'sign', 'agent', 'card.json', '--jku', 'https://agent.example/jwks.json'], {
    cwd,
  });
  expect(made.code).toBe(0);
  signed = json(made);
  writeFileSync(join(cwd, 'signed.json'), made.stdout);
  const jwks = await cli(['jwks', 'agent'], { cwd });
  expect(jwks.code).toBe(0);
  servedJwks = jwks.stdout;
  writeFileSync(join(cwd, 'jwks.json'), jwks.stdout);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('card help', () => {
  it('is listed by --help and has its own usage, options and examples', async () => {
    expect((await cli(['--help'], { cwd })).stdout).toMatch(/\n {2}card +sign an A2A Agent Card/);
    const help = await cli(['card', '--help'], { cwd });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: phlow-keys card sign <id>');
    expect(help.stdout).toContain('--jwks <url|file>');
    expect(help.stdout).toMatch(/Examples?\n {2}phlow-keys card sign/);
  });
});

describe('card sign', () => {
  it('prints the card with one ES256 signature whose header names the key and the jku', () => {
    const signatures = signed.signatures as { protected: string }[];
    expect(signatures).toHaveLength(1);
    const header = JSON.parse(Buffer.from(signatures[0]!.protected, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JOSE', jku: 'https://agent.example/jwks.json' });
    expect(signed.name).toBe('My Agent');
  });

  it('refuses a card that is not JSON or has duplicate names (exit 1), a missing file (3), no action (2)', async () => {
    writeFileSync(join(cwd, 'dup.json'), '{"name":"a","name":"b"}');
    const dup = await cli(['card', 'sign', 'agent', 'dup.json', '--json'], { cwd });
    expect(dup.code).toBe(1);
    expect(json(dup).error.code).toBe('DUPLICATE_KEY');
    expect((await cli(['card', 'sign', 'agent', 'missing.json'], { cwd })).code).toBe(3);
    expect((await cli(['card'], { cwd })).code).toBe(2);
    expect((await cli(['card', 'sign', 'agent'], { cwd })).code).toBe(2);
  });
});

describe('card verify', () => {
  it('accepts the card with a JWK Set file, a JWK Set URL and the store (exit 0)', async () => {
    // The card names https://agent.example/jwks.json as its jku: not pinned here, so refused unless ignored.
    const strict = await cli(['card', 'verify', 'signed.json', '--jwks', 'jwks.json', '--json'], { cwd });
    expect(strict.code).toBe(1);
    expect(json(strict).error.code).toBe('JKU_REFUSED');
    const file = await cli(
      ['card', 'verify', 'signed.json', '--jwks', 'jwks.json', '--ignore-jku', '--json'],
      {
        cwd,
      },
    );
    expect(file.code).toBe(0);
    expect(json(file)).toMatchObject({ valid: true, alg: 'ES256', source: 'pinned' });
    const before = hits;
    const url = await cli(
      ['card', 'verify', 'signed.json', '--jwks', `${base}/jwks.json`, '--ignore-jku', '--json'],
      {
        cwd,
      },
    );
    expect(url.code).toBe(0);
    expect(json(url)).toMatchObject({ valid: true, source: 'jwks' });
    expect(hits).toBe(before + 1);
    const store = await cli(['card', 'verify', '-', '--id', 'agent', '--ignore-jku'], {
      cwd,
      input: JSON.stringify(signed),
    });
    expect(store.code).toBe(0);
    expect(store.stdout).toMatch(/^valid: signed by [A-Za-z0-9_-]{43} \(ES256, agent\)/);
  });

  it('refuses a changed card, a 10 MB card and a card from another key whose jku is never fetched (exit 1)', async () => {
    const changed = await cli(['card', 'verify', '-', '--jwks', 'jwks.json', '--ignore-jku', '--json'], {
      cwd,
      input: JSON.stringify({ ...signed, name: 'Evil Agent' }),
    });
    expect(changed.code).toBe(1);
    expect(json(changed)).toMatchObject({ valid: false, error: { code: 'SIGNATURE_INVALID' } });
    expect(changed.stderr).not.toContain('Evil Agent');
    // From a file: on stdin the CLI stops reading past the bound, and the writer here would get EPIPE.
    writeFileSync(
      join(cwd, 'big.json'),
      JSON.stringify({ ...signed, description: 'x'.repeat(10 * 1024 * 1024) }),
    );
    const big = await cli(['card', 'verify', 'big.json', '--jwks', 'jwks.json', '--json'], { cwd });
    expect(big.code).toBe(1);
    expect(json(big).error.code).toBe('TOO_LARGE');
    // A card signed by another project's key, pointing its jku at a server here.
    const other = await initProject();
    expect((await cli(['generate', 'evil'], { cwd: other })).code).toBe(0);
    writeFileSync(join(other, 'card.json'), JSON.stringify(CARD));
    const forged = await cli(['card', 'sign', 'evil', 'card.json', '--jku', `${base}/evil.json`], {
      cwd: other,
    });
    const before = hits;
    const refused = await cli(['card', 'verify', '-', '--jwks', 'jwks.json', '--json'], {
      cwd,
      input: forged.stdout,
    });
    expect(refused.code).toBe(1);
    expect(json(refused).error.code).toBe('JKU_REFUSED');
    expect(hits).toBe(before);
  });

  it('usage: exactly one of --jwks and --id, known --alg values (exit 2); an alg left out refuses (1)', async () => {
    expect((await cli(['card', 'verify', 'signed.json'], { cwd })).code).toBe(2);
    expect(
      (await cli(['card', 'verify', 'signed.json', '--jwks', 'jwks.json', '--id', 'agent'], { cwd })).code,
    ).toBe(2);
    expect(
      (await cli(['card', 'verify', 'signed.json', '--jwks', 'jwks.json', '--alg', 'HS256'], { cwd })).code,
    ).toBe(2);
    const onlyEd = await cli(
      ['card', 'verify', 'signed.json', '--jwks', 'jwks.json', '--alg', 'EdDSA', '--json'],
      { cwd },
    );
    expect(onlyEd.code).toBe(1);
    // A JWK Set file holding a private key: refused as a wrong command line, the key not echoed.
    const { privateKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ed25519'));
    const privateJwk = privateKey.export({ format: 'jwk' });
    writeFileSync(join(cwd, 'private.json'), JSON.stringify({ keys: [privateJwk] }));
    const leaked = await cli(['card', 'verify', 'signed.json', '--jwks', 'private.json'], { cwd });
    expect(leaked.code).toBe(2);
    expect(leaked.stderr).not.toContain(privateJwk.d as string);
    expect(json(onlyEd).error.code).toBe('ALG_REFUSED');
  });
});
