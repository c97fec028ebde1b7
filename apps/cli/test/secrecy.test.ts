/**
 * Key material never appears in output unless asked for with --private: not in tables, not in --json, not in
 * errors, not with --debug. Every command runs against a store holding known keys, and all output is searched
 * for the private keys, the master key and the PEM marker.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, initProject, pemBody, pemPair, type Result } from './helpers.js';

describe('private keys are never printed without --private', () => {
  it('holds for every command, in human and JSON output, on success and on failure', async () => {
    const cwd = await initProject();
    const migrated = pemPair();
    const env = baseEnv({
      PHLOW_PRIVATE_KEY_old: migrated.privateKey,
      PHLOW_PUBLIC_KEY_old: migrated.publicKey,
    });
    const outputs: Result[] = [];
    const run = async (args: string[], input?: string) => {
      const result = await cli(args, { cwd, env, ...(input === undefined ? {} : { input }) });
      outputs.push(result);
      return result;
    };

    await run(['generate', 'a']);
    await run(['generate', 'a', '--json']);
    await run(['migrate', '--from', 'environment', '--to', 'encrypted_file']);
    await run(['migrate', '--from', 'environment', '--to', 'encrypted_file', '--json', '--debug']);
    const signature = (await run(['sign', 'a', '--message', 'm'])).stdout.trim();
    await run(['sign', 'a', '--json'], 'm');
    await run(['verify', 'a', `--signature=${signature}`, '--message', 'm', '--json']);
    await run(['get', 'a']);
    await run(['get', 'a', '--json']);
    await run(['get', 'a', '--format', 'jwk']);
    await run(['list']);
    await run(['list', '--json']);
    await run(['jwks']);
    await run(['rotate', 'a', '--json']);
    await run(['rotate', 'old']);
    await run(['doctor']);
    await run(['doctor', '--json', '--debug']);
    await run(['generate', 'a', '--debug']);
    await run(['sign', 'old', '--message', 'm', '--debug']);
    await run(['--store', 'environment', 'get', 'old', '--debug']);
    await run(['--store', 'environment', 'list', '--json']);

    const current = (await cli(['get', 'a', '--private'], { cwd, env })).stdout;
    expect(current).toContain('PRIVATE KEY');
    const secrets = [
      pemBody(current),
      pemBody(migrated.privateKey),
      readFileSync(join(cwd, '.phlow/master.key'), 'utf8').trim(),
    ];
    for (const { stdout, stderr } of outputs) {
      const text = stdout + stderr;
      expect(text).not.toContain('PRIVATE KEY');
      for (const secret of secrets) expect(text).not.toContain(secret);
      // A JWK with a private member ("d") only appears with --private.
      expect(text).not.toMatch(/"d":/);
    }
  });
});
