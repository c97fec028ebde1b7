/**
 * Key material typed where a name belonged is never echoed back: a PEM as the id, as a stray argument, as an
 * option's value or as the store type. Each case is run with and without --json and --debug, and stdout and
 * stderr are searched for the PEM's body and every line of it.
 */
import { describe, expect, it } from 'vitest';
import { describeUserInput, looksLikeKeyMaterial, scrubUserInput, secretInputs } from '../src/user-input.js';
import { cli, initProject, pemBody, pemPair } from './helpers.js';

const { privateKey } = pemPair();
const masterKey = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo';

function expectNothingOf(secret: string, text: string): void {
  expect(text).not.toContain('PRIVATE KEY');
  expect(text).not.toContain(pemBody(secret).slice(0, 20));
  for (const line of secret.split('\n')) if (line.length >= 8) expect(text).not.toContain(line);
}

describe('a PEM or master key on the command line is never echoed', () => {
  const cases: [string, string[]][] = [
    ['as the id of get', ['get', privateKey]],
    ['as a stray argument to sign', ['sign', 'a', privateKey, '--message', 'm']],
    ['as the value of get --format', ['get', 'a', '--format', privateKey]],
    ['as --format=<PEM>', ['get', 'a', `--format=${privateKey}`]],
    ['as the command', [privateKey]],
    ['after --', ['get', '--', privateKey]],
    ['as --store', ['--store', privateKey, 'list']],
    ['as migrate --from', ['migrate', '--from', privateKey, '--to', 'encrypted_file']],
    ['as an unknown command', ['list', 'x', privateKey.replaceAll('-', '')]],
  ];
  it.each(cases)('%s', async (_, args) => {
    const cwd = await initProject();
    for (const extra of [[], ['--json'], ['--json', '--debug']]) {
      const result = await cli([...extra, ...args], { cwd });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('error:');
      expectNothingOf(privateKey, result.stdout + result.stderr);
      if (extra.includes('--json'))
        expect(JSON.parse(result.stdout).error.code).toMatch(/USAGE|INVALID_KEY_ID/);
    }
  });

  it('a master key given as an id is cut out of the store error that quotes it', async () => {
    const cwd = await initProject();
    const result = await cli(['get', masterKey, '--json', '--debug'], { cwd });
    expect(result.code).toBe(3);
    expect(result.stdout + result.stderr).not.toContain(masterKey);
    expect(result.stderr).toContain('<value not shown>');
  });

  it('still quotes ordinary mistakes, so they can be fixed', async () => {
    const cwd = await initProject();
    const result = await cli(['get', 'a', '--format', 'yaml'], { cwd });
    expect(result.stderr).toContain('--format must be pem or jwk, got "yaml"');
  });
});

describe('user-input rules', () => {
  it('tells key material from names', () => {
    for (const value of [
      privateKey,
      pemBody(privateKey),
      masterKey,
      Buffer.from(masterKey, 'base64url').toString('base64'),
      'a'.repeat(129),
      'x\ny',
      'f'.repeat(64),
    ]) {
      expect(looksLikeKeyMaterial(value), value).toBe(true);
    }
    for (const value of [
      'my-agent',
      'lsit',
      '--jsno',
      'encrypted_file',
      '0f8fad5b-d9cb-469f-a165-70867728950e',
      '/tmp/phlow-cli-project-AbC123/reporting-store.mjs',
      './node_modules/@acme/phlow-keystore-redis-Xy12/dist/index.js',
    ]) {
      expect(looksLikeKeyMaterial(value), value).toBe(false);
    }
    expect(describeUserInput('lsit')).toBe('"lsit"');
    expect(describeUserInput(privateKey)).not.toContain(pemBody(privateKey).slice(0, 10));
  });

  it('scrubs a value, its escaped form and its lines from any text', () => {
    const secrets = secretInputs(['get', `--format=${privateKey}`]);
    const lines = privateKey.trim().split('\n');
    const text = `a ${privateKey} b ${JSON.stringify(privateKey)} c ${lines[1]}`;
    const scrubbed = scrubUserInput(text, secrets);
    expectNothingOf(privateKey, scrubbed);
  });
});
