/**
 * A built-in store name never loads code from the directory the process runs in (issue 19 item 8): a
 * checkout the user cd'd into may hold `node_modules/@phlow/keystore-file` and a package.json listing it.
 * Each case runs a real process whose working directory is such a checkout, with the entry script elsewhere,
 * because "the working directory" and "the entry script" are facts about a process.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KEYSTORE_CONTRACT_VERSION } from '../src/index.js';

const CORE = pathToFileURL(resolve(import.meta.dirname, '../dist/index.js')).href;

const tmp = (label: string) => mkdtempSync(join(tmpdir(), `phlow-cwd-${label}-`));

/** A provider module that writes `marker` as soon as it is imported. */
const source = (type: string, marker: string) => `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(marker)}, 'ran');
export default { contractVersion: ${JSON.stringify(KEYSTORE_CONTRACT_VERSION)}, type: ${JSON.stringify(type)},
  create() { return { type: ${JSON.stringify(`${type}@${marker}`)}, capabilities: {}, async getPrivateKey() { return null; },
    async getPublicKey() { return null; }, async storeKeyPair() {}, async deleteKeyPair() {} }; } };
`;

const PACKAGES: Record<string, string> = {
  '@phlow/keystore-file': 'encrypted_file',
  '@phlow/keystore-env': 'environment',
  '@phlow/keystore-vault': 'vault',
  '@phlow/keystore-aws': 'aws',
  '@phlow/keystore-aws-kms': 'aws_kms',
  '@phlow/keystore-pkcs11': 'pkcs11',
};

/** A directory with a package.json listing every built-in adapter and a copy of each that writes a marker. */
function checkout(dir: string, label: string): string[] {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: label,
      private: true,
      dependencies: Object.fromEntries(Object.keys(PACKAGES).map((n) => [n, '1.0.0'])),
    }),
  );
  const markers: string[] = [];
  for (const [name, type] of Object.entries(PACKAGES)) {
    const at = join(dir, 'node_modules', name);
    mkdirSync(at, { recursive: true });
    const marker = join(dir, `${label}-${type}.ran`);
    markers.push(marker);
    const exportsField: Record<string, string> = { '.': './index.js' };
    if (type === 'vault') {
      exportsField['./transit'] = './transit.js';
      writeFileSync(join(at, 'transit.js'), source('vault_transit', `${marker}.transit`));
      markers.push(`${marker}.transit`);
    }
    writeFileSync(join(at, 'package.json'), JSON.stringify({ name, type: 'module', exports: exportsField }));
    writeFileSync(join(at, 'index.js'), source(type, marker));
  }
  return markers;
}

const TYPES = [
  'file',
  'encrypted_file',
  'env',
  'environment',
  'vault',
  'vault_transit',
  'aws',
  'aws_kms',
  'pkcs11',
];

/** Runs `script` with node in `cwd`; each line of stdout is `<type> <result>`. */
function run(script: string, cwd: string, args: string[] = []): Promise<Map<string, string>> {
  return new Promise((done, fail) => {
    execFile(process.execPath, [script, ...args], { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return fail(new Error(`${error.message}\n${stderr}`));
      done(
        new Map(
          stdout
            .trim()
            .split('\n')
            .map((line) => line.split(' ', 2) as [string, string]),
        ),
      );
    });
  });
}

/** The script: resolves each built-in type (and the unset default) and prints what it got. */
const resolverScript = (options = '{}') => `
import { createKeyStoreFromEnv, resolveKeyStore } from ${JSON.stringify(CORE)};
const say = (t, p) => p.then((s) => console.log(t, 'loaded:' + s.type), (e) => console.log(t, e.code));
for (const t of ${JSON.stringify(TYPES)}) await say(t, resolveKeyStore(t, ${options}));
await say('unset', createKeyStoreFromEnv({}, ${options}));
`;

describe("a built-in store name and the working directory's node_modules", () => {
  it('a checkout planted in the working directory runs no code, whatever the built-in name', async () => {
    const cwd = tmp('planted');
    const markers = checkout(cwd, 'planted');
    const elsewhere = tmp('script');
    const script = join(elsewhere, 'run.mjs');
    writeFileSync(script, resolverScript());
    const results = await run(script, cwd);
    for (const type of [...TYPES, 'unset'])
      expect([type, results.get(type)]).toEqual([type, 'ADAPTER_NOT_FOUND']);
    for (const marker of markers) expect(existsSync(marker)).toBe(false);
  });

  it('a symlinked node_modules in the working directory pointing at a real installation is not used either', async () => {
    const real = tmp('real');
    const markers = checkout(real, 'linked');
    const cwd = tmp('linking');
    symlinkSync(join(real, 'node_modules'), join(cwd, 'node_modules'));
    symlinkSync(join(real, 'package.json'), join(cwd, 'package.json'));
    const script = join(tmp('script'), 'run.mjs');
    writeFileSync(script, resolverScript());
    const results = await run(script, cwd);
    for (const type of TYPES) expect(results.get(type)).toBe('ADAPTER_NOT_FOUND');
    for (const marker of markers) expect(existsSync(marker)).toBe(false);
  });

  it("the entry script's application is used, not the working directory's planted copy", async () => {
    const cwd = tmp('planted');
    const planted = checkout(cwd, 'planted');
    const app = tmp('app');
    const legit = checkout(app, 'app');
    mkdirSync(join(app, 'bin'));
    // Started through a symlink, as npm's bin links do: the application is where the script really is.
    const script = join(app, 'bin', 'run.mjs');
    writeFileSync(script, resolverScript());
    const link = join(tmp('bin'), 'run.mjs');
    symlinkSync(script, link);
    const results = await run(link, cwd);
    expect(results.get('file')).toBe(`loaded:encrypted_file@${join(app, 'app-encrypted_file.ran')}`);
    expect(results.get('vault_transit')).toBe(`loaded:vault_transit@${join(app, 'app-vault.ran.transit')}`);
    expect(results.get('unset')).toBe(`loaded:environment@${join(app, 'app-environment.ran')}`);
    for (const marker of planted) expect(existsSync(marker)).toBe(false);
    expect(legit.filter((m) => existsSync(m)).length).toBeGreaterThan(0);
  });

  it('an explicit cwd option is the application the caller names, and is used', async () => {
    const app = tmp('named');
    checkout(app, 'named');
    const script = join(tmp('script'), 'run.mjs');
    writeFileSync(script, resolverScript(`{ cwd: ${JSON.stringify(app)} }`));
    const results = await run(script, tmp('anywhere'));
    expect(results.get('aws')).toBe(`loaded:aws@${join(app, 'named-aws.ran')}`);
    expect(results.get('unset')).toBe(`loaded:environment@${join(app, 'named-environment.ran')}`);
  });

  it('a name that is not built in is still found in the working directory (someone typed it on purpose)', async () => {
    const cwd = tmp('third-party');
    const at = join(cwd, 'node_modules', 'phlow-keystore-redis');
    mkdirSync(at, { recursive: true });
    writeFileSync(join(at, 'package.json'), JSON.stringify({ name: 'phlow-keystore-redis', type: 'module' }));
    writeFileSync(join(at, 'index.js'), source('redis', join(cwd, 'redis.ran')));
    const script = join(tmp('script'), 'run.mjs');
    writeFileSync(
      script,
      `import { resolveKeyStore } from ${JSON.stringify(CORE)};\nconsole.log('redis', (await resolveKeyStore('redis')).type);\n`,
    );
    expect((await run(script, cwd)).get('redis')).toBe(`redis@${join(cwd, 'redis.ran')}`);
  });
});

describe('a script with its node_modules beside it (no package.json)', () => {
  it("loads a built-in store from the script's own directory, still not from the working directory", async () => {
    const cwd = tmp('planted');
    const planted = checkout(cwd, 'planted');
    const beside = tmp('beside');
    const legit = checkout(beside, 'beside');
    rmSync(join(beside, 'package.json'));
    const script = join(beside, 'run.mjs');
    writeFileSync(script, resolverScript());
    const results = await run(script, cwd);
    expect(results.get('file')).toBe(`loaded:encrypted_file@${join(beside, 'beside-encrypted_file.ran')}`);
    for (const marker of planted) expect(existsSync(marker)).toBe(false);
    expect(existsSync(legit[0]!)).toBe(true);
  });
});
