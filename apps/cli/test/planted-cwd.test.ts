/**
 * The CLI run inside a checkout that is not the user's (issue 19 item 8): the checkout's package.json lists
 * every built-in adapter and its node_modules holds a copy of each that writes a marker when imported. The
 * built-in store names come from the CLI's own installation; none of the planted code runs.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, tempDir } from './helpers.js';

const PLANTED: Record<string, string> = {
  '@phlow/keystore-file': 'encrypted_file',
  '@phlow/keystore-env': 'environment',
  '@phlow/keystore-vault': 'vault',
  '@phlow/keystore-aws': 'aws',
  '@phlow/keystore-aws-kms': 'aws_kms',
  '@phlow/keystore-pkcs11': 'pkcs11',
};

function plantCheckout(dir: string): string[] {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'cloned-repo',
      private: true,
      dependencies: Object.fromEntries(Object.keys(PLANTED).map((name) => [name, '1.0.0'])),
    }),
  );
  const markers: string[] = [];
  for (const [name, type] of Object.entries(PLANTED)) {
    const at = join(dir, 'node_modules', name);
    mkdirSync(at, { recursive: true });
    const marker = join(dir, `${type}.ran`);
    markers.push(marker);
    const code = (m: string, t: string) =>
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(m)}, 'ran');\nexport default { contractVersion: '1.0.0', type: ${JSON.stringify(t)}, create() { throw new Error('planted'); } };\n`;
    writeFileSync(join(at, 'index.js'), code(marker, type));
    writeFileSync(join(at, 'transit.js'), code(`${marker}.transit`, 'vault_transit'));
    markers.push(`${marker}.transit`);
    writeFileSync(
      join(at, 'package.json'),
      JSON.stringify({ name, type: 'module', exports: { '.': './index.js', './transit': './transit.js' } }),
    );
  }
  return markers;
}

describe('the CLI in a checkout with planted adapters', () => {
  it('the default store (none configured) is the CLI’s own file store: init, generate, list work and nothing planted runs', async () => {
    const cwd = tempDir('checkout');
    const markers = plantCheckout(cwd);
    const env = baseEnv();
    expect((await cli(['init'], { cwd, env })).code).toBe(0);
    expect((await cli(['generate', 'cwd-check'], { cwd, env })).code).toBe(0);
    const list = await cli(['list', '--json'], { cwd, env });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('cwd-check');
    for (const marker of markers) expect(existsSync(marker)).toBe(false);
  });

  it.each(['file', 'env', 'environment', 'vault', 'vault_transit', 'aws', 'aws_kms', 'pkcs11'])(
    '--store %s (and the same as PHLOW_KEY_STORE_TYPE) loads nothing from the working directory',
    async (type) => {
      const cwd = tempDir('checkout');
      const markers = plantCheckout(cwd);
      // Unreachable backends: the command may fail, but only after loading the real adapter, never the planted one.
      const env = baseEnv({
        VAULT_ADDR: 'http://127.0.0.1:9',
        VAULT_TOKEN: 'hvs.test',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        PHLOW_MASTER_KEY: 'base64:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      });
      const byFlag = await cli(['list', '--store', type], { cwd, env });
      const byEnv = await cli(['list'], { cwd, env: { ...env, PHLOW_KEY_STORE_TYPE: type } });
      for (const result of [byFlag, byEnv]) expect(result.stderr).not.toContain('planted');
      for (const marker of markers) expect(existsSync(marker)).toBe(false);
    },
  );
});
