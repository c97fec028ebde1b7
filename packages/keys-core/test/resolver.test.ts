import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  candidateModules,
  createKeyStoreFromEnv,
  createMemoryKeyStore,
  defineKeyStoreProvider,
  KEYSTORE_CONTRACT_VERSION,
  loadKeyStoreProvider,
  registerKeyStore,
  resolveKeyStore,
  unregisterKeyStore,
} from '../src/index.js';

/** An application directory with fake adapter packages installed in its node_modules and listed as deps. */
function appWith(packages: Record<string, string>): string {
  const app = mkdtempSync(join(tmpdir(), 'phlow-resolver-'));
  const dependencies = Object.fromEntries(Object.keys(packages).map((name) => [name, '1.0.0']));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, dependencies }));
  for (const [name, source] of Object.entries(packages)) {
    const dir = join(app, 'node_modules', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name, type: 'module', exports: { '.': { default: './index.js' } } }),
    );
    writeFileSync(join(dir, 'index.js'), source);
  }
  return app;
}

const provider = (type: string, contractVersion = KEYSTORE_CONTRACT_VERSION) => `
export default {
  contractVersion: ${JSON.stringify(contractVersion)},
  type: ${JSON.stringify(type)},
  create(options = {}) {
    return { type: ${JSON.stringify(type)}, options, capabilities: { write: false, readPair: false, list: false, versions: false },
      async getPrivateKey() { return null; }, async getPublicKey() { return null; },
      async storeKeyPair() {}, async deleteKeyPair() {} };
  },
};`;

describe('candidateModules: the naming convention', () => {
  it.each([
    ['environment', ['@phlow/keystore-env']],
    ['env', ['@phlow/keystore-env']],
    ['encrypted_file', ['@phlow/keystore-file']],
    ['file', ['@phlow/keystore-file']],
    ['vault', ['@phlow/keystore-vault']],
    ['aws', ['@phlow/keystore-aws']],
    ['vault_transit', ['@phlow/keystore-vault/transit']],
    ['pkcs11', ['@phlow/keystore-pkcs11']],
    ['aws_kms', ['@phlow/keystore-aws-kms']],
    ['redis', ['@phlow/keystore-redis', 'phlow-keystore-redis']],
    ['@acme/hsm', ['@acme/phlow-keystore-hsm']],
    ['phlow-keystore-redis', ['phlow-keystore-redis']],
    ['@phlow/keystore-redis', ['@phlow/keystore-redis']],
    ['@phlow/redis', ['@phlow/keystore-redis']],
    ['@acme/phlow-keystore-hsm', ['@acme/phlow-keystore-hsm']],
    ['@acme', ['@acme/phlow-keystore']],
    ['module:my-keys', ['my-keys']],
    ['./stores/mine.js', ['./stores/mine.js']],
  ])('%s -> %j', (type, expected) => {
    expect(candidateModules(type)).toEqual(expected);
  });
});

describe('loadKeyStoreProvider', () => {
  afterEach(() => unregisterKeyStore('inproc'));

  it('loads a third-party adapter from the application directory, by convention, unwrapping default', async () => {
    const app = appWith({ 'phlow-keystore-redis': provider('redis') });
    const store = await resolveKeyStore('redis', { cwd: app, env: { X: '1' } });
    expect(store.type).toBe('redis');
    expect((store as unknown as { options: { env: unknown } }).options.env).toEqual({ X: '1' });
  });

  it('maps @scope/name to @scope/phlow-keystore-name and accepts module: names as given', async () => {
    const app = appWith({ '@acme/phlow-keystore-hsm': provider('hsm'), 'my-keys': provider('mine') });
    expect((await loadKeyStoreProvider('@acme/hsm', { cwd: app })).type).toBe('hsm');
    expect((await loadKeyStoreProvider('module:my-keys', { cwd: app })).type).toBe('mine');
  });

  it('loads a relative path from the application directory', async () => {
    const app = appWith({});
    writeFileSync(join(app, 'my-store.mjs'), provider('local'));
    expect((await loadKeyStoreProvider('./my-store.mjs', { cwd: app })).type).toBe('local');
  });

  it('ADAPTER_NOT_FOUND lists every package tried and the install command', async () => {
    const app = appWith({});
    const error = await loadKeyStoreProvider('redis', { cwd: app }).then(
      () => new Error('expected a failure'),
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: 'ADAPTER_NOT_FOUND' });
    expect(error.message).toContain('@phlow/keystore-redis, phlow-keystore-redis');
    expect(error.message).toContain('npm install @phlow/keystore-redis');
    expect(error.message).toContain('If the application is bundled (esbuild, webpack, AWS Lambda)');
    expect(error.message).toContain('{ providers: [provider] }');
  });

  it('ADAPTER_INCOMPATIBLE names both contract versions', async () => {
    const app = appWith({
      'phlow-keystore-old': provider('old', '0.9.0'),
      'phlow-keystore-junk': 'export default 42;',
    });
    const error = await loadKeyStoreProvider('old', { cwd: app }).then(
      () => new Error('expected a failure'),
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: 'ADAPTER_INCOMPATIBLE' });
    expect(error.message).toContain('0.9.0');
    expect(error.message).toContain(KEYSTORE_CONTRACT_VERSION);
    await expect(loadKeyStoreProvider('junk', { cwd: app })).rejects.toMatchObject({
      code: 'ADAPTER_INCOMPATIBLE',
    });
  });

  it('INVALID_CONFIG names the variable for a value that is no store name', async () => {
    await expect(createKeyStoreFromEnv({ PHLOW_KEY_STORE_TYPE: 'Vault Server!' })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('PHLOW_KEY_STORE_TYPE'),
    });
  });

  it('registerKeyStore serves in-process stores and checks their shape', async () => {
    const store = createMemoryKeyStore();
    registerKeyStore('inproc', defineKeyStoreProvider({ type: 'inproc', create: () => store }));
    expect(await resolveKeyStore('inproc')).toBe(store);
    expect(() => registerKeyStore('bad', { create: 1 } as never)).toThrow(/not a key store adapter/);
  });

  it('memory is built in', async () => {
    expect((await resolveKeyStore('memory')).type).toBe('memory');
  });
});

describe('createKeyStoreFromEnv: the default rule', () => {
  it('refuses an unset PHLOW_KEY_STORE_TYPE in production', async () => {
    await expect(createKeyStoreFromEnv({ NODE_ENV: 'production' })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('PHLOW_KEY_STORE_TYPE'),
    });
  });

  it('uses the environment store when unset outside production (as the Python Phlow did)', async () => {
    const app = appWith({ '@phlow/keystore-env': provider('environment') });
    const store = await createKeyStoreFromEnv({}, { cwd: app });
    expect(store.type).toBe('environment');
  });

  it('vault_transit loads the transit subpath of @phlow/keystore-vault', async () => {
    const app = appWith({ '@phlow/keystore-vault': provider('vault') });
    const dir = join(app, 'node_modules', '@phlow/keystore-vault');
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: '@phlow/keystore-vault',
        type: 'module',
        exports: { '.': { default: './index.js' }, './transit': { default: './transit.js' } },
      }),
    );
    writeFileSync(join(dir, 'transit.js'), provider('vault_transit'));
    const store = await createKeyStoreFromEnv({ PHLOW_KEY_STORE_TYPE: 'vault_transit' }, { cwd: app });
    expect(store.type).toBe('vault_transit');
  });

  it('passes the same env to the adapter', async () => {
    const app = appWith({ '@phlow/keystore-vault': provider('vault') });
    const env = { PHLOW_KEY_STORE_TYPE: 'vault', VAULT_URL: 'http://127.0.0.1:1' };
    const store = await createKeyStoreFromEnv(env, { cwd: app });
    expect((store as unknown as { options: { env: unknown } }).options.env).toBe(env);
  });
});
