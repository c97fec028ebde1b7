/**
 * Where the resolver loads adapter code from (issue 14 item 4, issue 15 item 3): only what the application
 * lists, the installation core lives in, and installations the caller names; never a package planted in a
 * parent of the working directory, in a world-writable directory or in another user's directory.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createKeyStoreFromEnv,
  defineKeyStoreProvider,
  KEYSTORE_CONTRACT_VERSION,
  loadKeyStoreProvider,
  resolveKeyStore,
} from '../src/index.js';

const providerSource = (type: string) => `
export default {
  contractVersion: ${JSON.stringify(KEYSTORE_CONTRACT_VERSION)},
  type: ${JSON.stringify(type)},
  create() {
    return { type: ${JSON.stringify(type)}, capabilities: { write: false, readPair: false, list: false, versions: false },
      async getPrivateKey() { return null; }, async getPublicKey() { return null; },
      async storeKeyPair() {}, async deleteKeyPair() {} };
  },
};`;

/** A package that, if it ever runs, writes `marker`. */
const plantedSource = (marker: string) =>
  `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\n${providerSource('encrypted_file')}`;

function writePackage(
  dir: string,
  name: string,
  source: string,
  exportsField: unknown = { '.': './index.js' },
) {
  const at = join(dir, 'node_modules', name);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'package.json'), JSON.stringify({ name, type: 'module', exports: exportsField }));
  writeFileSync(join(at, 'index.js'), source);
  return at;
}

function writeManifest(dir: string, dependencies: Record<string, string> = {}) {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', private: true, dependencies }));
}

const tmp = (label: string) => mkdtempSync(join(tmpdir(), `phlow-lookup-${label}-`));

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error & { code?: string },
  );
}

describe('planted adapters never run', () => {
  it('a node_modules/@phlow/keystore-file in a parent of the working directory (no application there)', async () => {
    const parent = tmp('parent');
    const marker = join(parent, 'marker');
    writePackage(parent, '@phlow/keystore-file', plantedSource(marker));
    const cwd = join(parent, 'work', 'deeper');
    mkdirSync(cwd, { recursive: true });
    for (const attempt of [
      () => createKeyStoreFromEnv({ PHLOW_KEY_STORE_TYPE: 'encrypted_file' }, { cwd }),
      () => resolveKeyStore('file', { cwd }),
    ]) {
      const error = await failure(attempt());
      expect(error.code).toBe('ADAPTER_NOT_FOUND');
      expect(error.message).toContain('no package.json at or above');
    }
    expect(existsSync(marker)).toBe(false);
  });

  it.each([
    ['world-writable', 0o777],
    ['world-writable and sticky, like /tmp', 0o1777],
  ])('a package and a package.json listing it planted in a %s directory', async (_label, mode) => {
    const shared = tmp('shared');
    const marker = join(shared, 'marker');
    writePackage(shared, '@phlow/keystore-file', plantedSource(marker));
    writeManifest(shared, { '@phlow/keystore-file': '1.0.0' });
    const mine = join(shared, 'mine');
    mkdirSync(mine, { mode: 0o755 });
    chmodSync(shared, mode);
    for (const cwd of [mine, shared]) {
      const error = await failure(createKeyStoreFromEnv({ PHLOW_KEY_STORE_TYPE: 'encrypted_file' }, { cwd }));
      expect(error.code).toBe('ADAPTER_NOT_FOUND');
      expect(error.message).toMatch(/world-writable/);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('a world-writable node_modules inside the application is refused too', async () => {
    const app = tmp('app-ww');
    const marker = join(app, 'marker');
    writeManifest(app, { '@phlow/keystore-file': '1.0.0' });
    writePackage(app, '@phlow/keystore-file', plantedSource(marker));
    chmodSync(join(app, 'node_modules'), 0o777);
    const error = await failure(resolveKeyStore('encrypted_file', { cwd: app }));
    expect(error.message).toMatch(
      /Found .*keystore-file but did not load it: .*node_modules is world-writable/,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)(
    "a package in another user's directory (runs only as root, which can hand a directory to uid 65534)",
    async () => {
      const theirs = tmp('other-user');
      const marker = join(theirs, 'marker');
      writePackage(theirs, '@phlow/keystore-file', plantedSource(marker));
      writeManifest(theirs, { '@phlow/keystore-file': '1.0.0' });
      const cwd = join(theirs, 'work');
      mkdirSync(cwd);
      chownSync(theirs, 65534, 65534);
      const error = await failure(createKeyStoreFromEnv({ PHLOW_KEY_STORE_TYPE: 'file' }, { cwd }));
      expect(error.message).toContain('is owned by another user (uid 65534)');
      expect(existsSync(marker)).toBe(false);
    },
  );

  it('a package above the working directory that the application there does not list is not loaded', async () => {
    const app = tmp('undeclared');
    const marker = join(app, 'marker');
    writeManifest(app, {});
    writePackage(app, '@phlow/keystore-file', plantedSource(marker));
    mkdirSync(join(app, 'src'));
    const error = await failure(resolveKeyStore('file', { cwd: join(app, 'src') }));
    expect(error.message).toContain(`${app}/package.json does not list @phlow/keystore-file`);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('adapters installed on purpose are found', () => {
  it("from the working directory's own node_modules, even without a package.json", async () => {
    const dir = tmp('bare');
    writePackage(dir, 'phlow-keystore-here', providerSource('here'));
    expect((await loadKeyStoreProvider('here', { cwd: dir })).type).toBe('here');
  });

  it('from a workspace root where the application lists the package and the package manager hoisted it', async () => {
    const root = tmp('mono');
    writeManifest(root, {});
    writePackage(root, 'phlow-keystore-redis', providerSource('redis'));
    const app = join(root, 'apps', 'agent');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeManifest(app, { 'phlow-keystore-redis': 'workspace:*' });
    const cwd = join(app, 'src');
    expect((await loadKeyStoreProvider('redis', { cwd })).type).toBe('redis');
    expect((await loadKeyStoreProvider('phlow-keystore-redis', { cwd })).type).toBe('redis');
  });

  it('an ESM-only adapter whose exports has only an `import` condition', async () => {
    const app = tmp('esm-only');
    writeManifest(app, { 'phlow-keystore-esm': '1.0.0' });
    const dir = writePackage(app, 'phlow-keystore-esm', '', { '.': { import: './esm.js' } });
    writeFileSync(join(dir, 'esm.js'), providerSource('esm'));
    expect((await loadKeyStoreProvider('esm', { cwd: app })).type).toBe('esm');
    expect((await loadKeyStoreProvider('phlow-keystore-esm', { cwd: app })).type).toBe('esm');
  });

  it('from another installation the caller names (what the CLI does for the adapters it ships with)', async () => {
    const cli = tmp('cli');
    writeManifest(cli, { 'phlow-keystore-bundled': '1.0.0' });
    writePackage(cli, 'phlow-keystore-bundled', providerSource('bundled'));
    mkdirSync(join(cli, 'dist'));
    const entry = join(cli, 'dist', 'cli.js');
    writeFileSync(entry, '');
    const cwd = tmp('elsewhere');
    await expect(loadKeyStoreProvider('bundled', { cwd })).rejects.toMatchObject({
      code: 'ADAPTER_NOT_FOUND',
    });
    expect((await loadKeyStoreProvider('bundled', { cwd, installations: [entry] })).type).toBe('bundled');
  });
});

describe('"found X but ..."', () => {
  it('a package that throws while loading', async () => {
    const app = tmp('throws');
    writeManifest(app, { 'phlow-keystore-broken': '1.0.0' });
    writePackage(app, 'phlow-keystore-broken', 'throw new Error("missing dependency");');
    const error = await failure(loadKeyStoreProvider('phlow-keystore-broken', { cwd: app }));
    expect(error.code).toBe('ADAPTER_NOT_FOUND');
    expect(error.message).toMatch(
      /found phlow-keystore-broken for store type "phlow-keystore-broken" \(.+\) but it failed to load/,
    );
  });

  it('a package of the wrong shape', async () => {
    const app = tmp('shape');
    writeManifest(app, { 'phlow-keystore-junk': '1.0.0' });
    writePackage(app, 'phlow-keystore-junk', 'export default { hello: 1 };');
    const error = await failure(loadKeyStoreProvider('junk', { cwd: app }));
    expect(error.code).toBe('ADAPTER_INCOMPATIBLE');
    expect(error.message).toMatch(/found phlow-keystore-junk .* but it is not a key store adapter/);
  });
});

describe('providers: statically imported adapters (bundled applications)', () => {
  const marker = () => join(tmp('providers'), 'marker');

  it('are matched by type and by the built-in aliases, before any package is loaded', async () => {
    const parent = tmp('providers-planted');
    const ran = join(parent, 'marker');
    writeManifest(parent, { '@phlow/keystore-file': '1.0.0', '@phlow/keystore-env': '1.0.0' });
    writePackage(parent, '@phlow/keystore-file', plantedSource(ran));
    writePackage(parent, '@phlow/keystore-env', plantedSource(ran));
    const file = defineKeyStoreProvider({
      type: 'encrypted_file',
      create: () => ({ type: 'given-file' }) as never,
    });
    const env = defineKeyStoreProvider({
      type: 'environment',
      create: () => ({ type: 'given-env' }) as never,
    });
    const providers = [env, file];
    for (const [type, expected] of [
      ['file', 'given-file'],
      ['encrypted_file', 'given-file'],
      ['env', 'given-env'],
      ['environment', 'given-env'],
    ]) {
      const store = await createKeyStoreFromEnv({ PHLOW_KEY_STORE_TYPE: type }, { cwd: parent, providers });
      expect(store.type, type).toBe(expected);
    }
    expect((await createKeyStoreFromEnv({}, { cwd: parent, providers })).type).toBe('given-env');
    expect((await resolveKeyStore('file', { cwd: parent, providers })).type).toBe('given-file');
    expect(existsSync(ran)).toBe(false);
    expect(existsSync(marker())).toBe(false);
  });

  it('adapters built against contract 1.0 and 1.1 still load under 1.2 (signer, activation are optional capabilities)', async () => {
    expect(KEYSTORE_CONTRACT_VERSION).toBe('1.3.0');
    const v10 = { contractVersion: '1.0.0', type: 'old-ten', create: () => ({}) } as never;
    expect((await loadKeyStoreProvider('old-ten', { providers: [v10] })).type).toBe('old-ten');
    const v11 = { contractVersion: '1.1.0', type: 'old-eleven', create: () => ({}) } as never;
    expect((await loadKeyStoreProvider('old-eleven', { providers: [v11] })).type).toBe('old-eleven');
    const v2 = { contractVersion: '2.0.0', type: 'two', create: () => ({}) } as never;
    await expect(loadKeyStoreProvider('two', { providers: [v2] })).rejects.toMatchObject({
      code: 'ADAPTER_INCOMPATIBLE',
    });
  });

  it('are checked like loaded adapters, and a type none of them has names them in ADAPTER_NOT_FOUND', async () => {
    const old = { contractVersion: '0.1.0', type: 'vault', create: () => ({}) } as never;
    await expect(loadKeyStoreProvider('vault', { providers: [old] })).rejects.toMatchObject({
      code: 'ADAPTER_INCOMPATIBLE',
      message: expect.stringContaining('providers[0] (type "vault")'),
    });
    const file = defineKeyStoreProvider({ type: 'encrypted_file', create: () => ({}) as never });
    const error = await failure(loadKeyStoreProvider('aws', { cwd: tmp('none'), providers: [file] }));
    expect(error.code).toBe('ADAPTER_NOT_FOUND');
    expect(error.message).toContain('The providers passed ("encrypted_file") include none of type "aws"');
    expect(error.message).toContain("import provider from '@phlow/keystore-aws'");
  });
});

describe('paths', () => {
  it('a malformed file: URL is INVALID_CONFIG, not a raw TypeError', async () => {
    await expect(loadKeyStoreProvider('file://host-is-not-allowed/x.js')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});

describe('a store name that is really key material', () => {
  it('is refused without being echoed', async () => {
    const pem =
      '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBQsecretsecretsecretsecretsecret\n-----END PRIVATE KEY-----\n';
    const error = await failure(createKeyStoreFromEnv({ PHLOW_KEY_STORE_TYPE: pem }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).not.toContain('secretsecret');
    expect(error.message).toContain('not shown');
  });
});

describe('self-reference', () => {
  it('an adapter package resolves itself from its own directory (its tests), as Node self-references it', async () => {
    const dir = tmp('self');
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'phlow-keystore-selfref',
        type: 'module',
        exports: { '.': { import: './index.js' } },
      }),
    );
    writeFileSync(join(dir, 'index.js'), providerSource('selfref'));
    expect((await loadKeyStoreProvider('selfref', { cwd: dir })).type).toBe('selfref');
  });
});
