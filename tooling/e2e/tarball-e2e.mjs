#!/usr/bin/env node
/**
 * A newcomer's first hour, from the packed tarballs: packs every published package with pnpm (as
 * `changeset publish` does, numbered as the pending changesets will number them), installs them with npm into a new application in os.tmpdir(), outside the
 * workspace, with their real dependencies from the registry, and runs, in that application:
 * - the CLI README's quick start and the core README's Usage, as written (extracted from the Markdown);
 * - the root README's Usage twice with the encrypted file store (the second run rotates), and once with
 *   PHLOW_KEY_STORE_TYPE unset;
 * - an esbuild bundle of that Usage, with the file store passed as a provider, run where no node_modules is;
 * - the core README's bundling recipe as written (its handler and its two esbuild commands, ESM and CommonJS),
 *   each bundle run from a directory without node_modules on the AWS, Vault and encrypted file stores;
 * - one copy of jose in an application that depended on jose before it installed the packages;
 * - TypeScript (the workspace's compiler, skipLibCheck off) with each module setting of lib/ts-settings.mjs;
 * - keys-otel on OpenTelemetry SDK 3 (packages/keys-otel/test/sdk3: its own application with API 1.10, on a
 *   Node that SDK 3 supports; SDK 2 is what keys-otel's own tests use);
 * - a third-party adapter (`phlow-keystore-redis`, ESM only, packed with npm here) resolved by its full package
 *   name and by its short name;
 * - `phlow-keys migrate` from upper-snake environment variables, without and with an `--as` mapping.
 * Every step runs and is reported; the exit status is non-zero if any failed. Nothing is skipped.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { installNode, VERSIONS } from '../node-versions/install.mjs';
import { writeRedisAdapter } from './lib/adapter-fixture.mjs';
import { blockUnder } from './lib/markdown.mjs';
import { releaseVersions, renumberTarball } from './lib/release-versions.mjs';
import { run, tail } from './lib/run.mjs';
import { TS_SETTINGS, writeTsProject } from './lib/ts-settings.mjs';
import { publishedPackages, ROOT } from './lib/workspace.mjs';

const ESBUILD = JSON.parse(readFileSync(join(import.meta.dirname, 'package.json'), 'utf8')).devDependencies
  .esbuild;
const work = mkdtempSync(join(tmpdir(), 'phlow-first-contact-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
mkdirSync(tarballs);
mkdirSync(app);
const readme = (path) => readFileSync(join(ROOT, path), 'utf8');
// How this machine reaches the registry (proxy, extra CA certificates; npm's own settings are in ~/.npmrc under
// HOME) passes through, nothing else: the Node binaries of tooling/node-versions trust only their bundled CAs,
// so without NODE_EXTRA_CA_CERTS npm on Node 22/24 fails behind a TLS-inspecting proxy where the system Node 20
// succeeds. turbo.json's globalPassThroughEnv lists the same variables.
const NETWORK_ENV = /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|NO|ALL)_PROXY)$/i;
const BASE_ENV = {
  PATH: `${join(app, 'node_modules', '.bin')}:${dirname(process.execPath)}:${process.env.PATH}`,
  HOME: process.env.HOME,
  TMPDIR: tmpdir(),
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => NETWORK_ENV.test(name))),
};

let failures = 0;
async function step(name, body) {
  try {
    await body();
    console.log(`ok       ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL     ${name}: ${e.message.replace(/\n/g, '\n         | ')}`);
  }
}

/** Runs a command and returns its result; throws with its output when `expectCode` (null: any) does not match. */
async function sh(cmd, args, { cwd = app, env = {}, expectCode = 0, timeoutMs } = {}) {
  const result = await run(cmd, args, { cwd, env: { ...BASE_ENV, ...env }, timeoutMs });
  if (expectCode !== null && result.code !== expectCode) {
    throw new Error(
      `${cmd} ${args.join(' ').slice(0, 120)}: exit ${result.code ?? result.signal}${result.timedOut ? ' (deadline)' : ''}\n${tail(result.stdout + result.stderr)}`,
    );
  }
  return result;
}

/** A snippet from a README, type-stripped by the esbuild the application installed, run with node. */
async function runSnippet(name, code, options) {
  const file = join(options.cwd ?? app, `${name}.mjs`);
  const { transformSync } = await import(join(app, 'node_modules', 'esbuild', 'lib', 'main.js'));
  writeFileSync(file, transformSync(code, { loader: 'ts', format: 'esm', target: 'node20' }).code);
  return sh(process.execPath, [file], options);
}

function assertIncludes(text, part, what) {
  if (!text.includes(part)) throw new Error(`${what}: expected ${JSON.stringify(part)} in\n${tail(text)}`);
}

await step('pack the published packages and a third-party adapter', async () => {
  // Numbered as the pending release numbers them (lib/release-versions.mjs): the peer ranges expect that.
  const versions = releaseVersions();
  const current = Object.fromEntries(publishedPackages().map((p) => [p.manifest.name, p.manifest.version]));
  for (const { dir } of publishedPackages()) {
    const before = new Set(readdirSync(tarballs));
    execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir, stdio: 'pipe' });
    const packed = readdirSync(tarballs).find((f) => !before.has(f));
    renumberTarball(join(tarballs, packed), versions, current);
  }
  const adapter = writeRedisAdapter(join(work, 'phlow-keystore-redis'));
  execFileSync('npm', ['pack', '--pack-destination', tarballs], { cwd: adapter, stdio: 'pipe' });
});

await step('npm install the tarballs into an application outside the workspace', async () => {
  // An application that already uses jose: installing keys-jwt must not bring a second copy.
  writeFileSync(
    join(app, 'package.json'),
    '{ "name": "first-contact", "private": true, "type": "module", "dependencies": { "jose": "^6.0.0" } }\n',
  );
  // The HSM store builds a native addon (pkcs11js) with node-gyp, which fetches Node's headers from the web for
  // a Node it has no headers of; no step here uses it or the KMS store, so they are packed but not installed.
  const files = readdirSync(tarballs)
    .filter((f) => !/^phlow-keystore-(pkcs11|aws-kms)-/.test(f))
    .map((f) => join(tarballs, f));
  await sh('npm', ['install', '--no-audit', '--no-fund', ...files, `esbuild@${ESBUILD}`], {
    timeoutMs: 1_200_000,
  });
});

/** Every installed copy of package `name` below `dir`, as the paths of their package.json. */
function installedCopies(dir, name, found = []) {
  const modules = join(dir, 'node_modules');
  if (!existsSync(modules)) return found;
  for (const entry of readdirSync(modules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === '.bin') continue;
    const inside = entry.name.startsWith('@')
      ? readdirSync(join(modules, entry.name)).map((n) => join(modules, entry.name, n))
      : [join(modules, entry.name)];
    for (const pkg of inside) {
      if (pkg === join(modules, name) && existsSync(join(pkg, 'package.json')))
        found.push(join(pkg, 'package.json'));
      installedCopies(pkg, name, found);
    }
  }
  return found;
}

await step('one copy of jose in an application that already depends on jose', async () => {
  const copies = installedCopies(app, 'jose');
  const versions = copies.map(
    (f) => `${JSON.parse(readFileSync(f, 'utf8')).version} (${f.slice(app.length + 1)})`,
  );
  if (copies.length !== 1)
    throw new Error(`expected one jose, found ${copies.length}: ${versions.join(', ')}`);
});

for (const setting of TS_SETTINGS) {
  await step(
    `TypeScript with module ${setting.module}, moduleResolution ${setting.moduleResolution} (${setting.type === 'module' ? 'ESM' : 'CommonJS'} project)`,
    async () => {
      const dir = join(app, 'ts', setting.name.replace(/\W+/g, '-'));
      writeTsProject(dir, setting, join(ROOT, 'node_modules', '@types', 'node'));
      await sh(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', '.', '--pretty', 'false'], { cwd: dir });
      if (setting.run) {
        const { stdout } = await sh(process.execPath, [join('out', 'index.js')], { cwd: dir });
        assertIncludes(stdout, 'true', 'sign and verify from the compiled program');
      }
    },
  );
}

// The core README's bundling recipe, as written: its handler and its esbuild commands.
const coreReadme = readme('packages/keys-core/README.md');
const BUNDLING = '## Bundling (esbuild, webpack, Lambda)';
const recipeDir = join(app, 'recipe');
const recipeLambda = join(work, 'recipe-lambda');
await step('core README bundling recipe: the two esbuild commands (ESM and CommonJS) build', async () => {
  mkdirSync(recipeDir);
  writeFileSync(join(recipeDir, 'handler.ts'), blockUnder(coreReadme, BUNDLING, 'ts'));
  await sh('bash', ['-euo', 'pipefail', '-c', blockUnder(coreReadme, BUNDLING, 'bash')], {
    cwd: recipeDir,
  });
  // Where it is deployed there is no node_modules: only the bundles (and the file store's own files).
  mkdirSync(recipeLambda);
  for (const f of ['handler.mjs', 'handler.cjs'])
    copyFileSync(join(recipeDir, 'dist', f), join(recipeLambda, f));
  await sh('phlow-keys', ['init'], { cwd: recipeLambda });
});

const SERVICE_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => /^(VAULT_(ADDR|URL|TOKEN)|AWS_.+)$/.test(name)),
);
const RECIPE_STORES = {
  aws: { PHLOW_KEY_STORE_TYPE: 'aws', ...SERVICE_ENV },
  vault: { PHLOW_KEY_STORE_TYPE: 'vault', ...SERVICE_ENV },
  encrypted_file: { PHLOW_KEY_STORE_TYPE: 'encrypted_file', PHLOW_MASTER_KEY_FILE: '.phlow/master.key' },
};
await step(
  'core README bundling recipe: without its banner the ESM bundle dies as the README says',
  async () => {
    // Why the banner is in the recipe: the same ESM command without it builds, then fails at start.
    const command = blockUnder(coreReadme, BUNDLING, 'bash').split('\n')[0];
    if (!command.endsWith('\\'))
      throw new Error(`the ESM command no longer ends in a continued banner line: ${command}`);
    await sh('bash', ['-c', command.slice(0, -1).replace('dist/handler.mjs', 'dist/no-banner.mjs')], {
      cwd: recipeDir,
    });
    const dir = mkdtempSync(join(work, 'no-banner-'));
    copyFileSync(join(recipeDir, 'dist', 'no-banner.mjs'), join(dir, 'no-banner.mjs'));
    const { stderr, stdout } = await sh(process.execPath, ['no-banner.mjs'], {
      cwd: dir,
      env: RECIPE_STORES.aws,
      expectCode: 1,
    });
    assertIncludes(
      stderr + stdout,
      'Dynamic require of "node:https" is not supported',
      'the failure the banner prevents',
    );
  },
);

const RUN_BUNDLE = {
  esm: "import('./handler.mjs').then((m) => m.handler({ message: 'hello' })).then((s) => console.log(s));",
  cjs: "require('./handler.cjs').handler({ message: 'hello' }).then((s) => console.log(s));",
};
for (const [type, env] of Object.entries(RECIPE_STORES)) {
  for (const format of ['esm', 'cjs']) {
    await step(
      `core README bundling recipe: the ${format === 'esm' ? 'ESM' : 'CommonJS'} bundle signs with the ${type} store, without node_modules`,
      async () => {
        // The operator's side: the key exists (a rerun or an earlier step may have made it already).
        await sh('phlow-keys', ['generate', 'my-agent'], { cwd: recipeLambda, env, expectCode: null });
        const { stdout } = await sh(
          process.execPath,
          [format === 'esm' ? '--input-type=module' : '--input-type=commonjs', '-e', RUN_BUNDLE[format]],
          {
            cwd: recipeLambda,
            env,
          },
        );
        const signature = stdout.trim();
        await sh('phlow-keys', ['verify', 'my-agent', `--signature=${signature}`, '--message', 'hello'], {
          cwd: recipeLambda,
          env,
        });
      },
    );
  }
}

await step('keys-otel on OpenTelemetry SDK 3 (packages/keys-otel/test/sdk3)', async () => {
  // SDK 3 supports Node >= 22.15: on an older machine Node, the check runs on the project's own Node 22.
  const supportsSdk3 = (version) => {
    const [major, minor] = version.split('.').map(Number);
    return major > 22 || (major === 22 && minor >= 15);
  };
  const node = supportsSdk3(process.versions.node)
    ? process.execPath
    : installNode(VERSIONS.find(supportsSdk3));
  const otelApp = join(work, 'otel-sdk3');
  cpSync(join(ROOT, 'packages', 'keys-otel', 'test', 'sdk3'), otelApp, { recursive: true });
  const own = readdirSync(tarballs)
    .filter((f) => /^phlow-keys-(core|otel)-\d/.test(f))
    .map((f) => join(tarballs, f));
  await sh('npm', ['install', '--no-audit', '--no-fund', ...own], { cwd: otelApp, timeoutMs: 600_000 });
  const { stdout } = await sh(node, ['check.mjs'], { cwd: otelApp, env: { PHLOW_KEY_STORE_TYPE: 'memory' } });
  assertIncludes(stdout, 'keys-otel on OpenTelemetry SDK 3: ok', 'the SDK 3 check');
});

await step('CLI README quick start', async () => {
  const dir = join(app, 'quick-start');
  mkdirSync(dir);
  await sh(
    'bash',
    ['-euo', 'pipefail', '-c', blockUnder(readme('apps/cli/README.md'), '## Quick start', 'bash')],
    {
      cwd: dir,
    },
  );
  assertIncludes(readFileSync(join(dir, 'jwks.json'), 'utf8'), '"kty"', 'jwks.json');
});

await step('core README Usage', async () => {
  const { stdout } = await runSnippet(
    'core-usage',
    blockUnder(readme('packages/keys-core/README.md'), '## Usage', 'ts'),
    {},
  );
  assertIncludes(stdout, 'true', 'verify after rotation');
});

const usage = blockUnder(readme('README.md'), '## Usage', 'ts');
// The application's file store, set up the way the CLI's init tells users to.
const storeDir = join(app, 'usage');
mkdirSync(storeDir);
const FILE_ENV = { PHLOW_KEY_STORE_TYPE: 'encrypted_file', PHLOW_MASTER_KEY_FILE: '.phlow/master.key' };

await step('root README Usage, PHLOW_KEY_STORE_TYPE unset', async () => {
  const { stdout } = await runSnippet('usage', usage, {});
  assertIncludes(stdout, 'true', 'verify');
});

await step('root README Usage twice with the encrypted file store (the second run rotates)', async () => {
  await sh('phlow-keys', ['init'], { cwd: storeDir });
  for (const _ of [1, 2]) {
    const { stdout } = await runSnippet('usage', usage, { cwd: storeDir, env: FILE_ENV });
    assertIncludes(stdout, 'true', 'verify');
  }
  const { stdout } = await sh('phlow-keys', ['list', '--json'], { cwd: storeDir });
  const [entry] = JSON.parse(stdout).keys;
  if (entry?.keyId !== 'my-agent' || entry.version !== '2')
    throw new Error(`expected my-agent at version 2: ${stdout}`);
});

await step('esbuild bundle of the Usage (providers), run without node_modules, twice', async () => {
  const src = join(app, 'bundle-entry.ts');
  const bundled = usage
    .replace(/^/, "import fileStore from '@phlow/keystore-file';\n")
    .replace(/createKeyStoreFromEnv\(([^)]*)\)/, 'createKeyStoreFromEnv($1, { providers: [fileStore] })');
  if (!bundled.includes('providers: [fileStore]'))
    throw new Error('the Usage no longer calls createKeyStoreFromEnv(...)');
  writeFileSync(src, bundled);
  const lambda = join(work, 'lambda');
  mkdirSync(lambda);
  const { build } = await import(join(app, 'node_modules', 'esbuild', 'lib', 'main.js'));
  await build({
    entryPoints: [src],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(lambda, 'index.mjs'),
    logLevel: 'silent',
  });
  await sh('phlow-keys', ['init'], { cwd: lambda });
  for (const _ of [1, 2]) {
    const { stdout } = await sh(process.execPath, ['index.mjs'], { cwd: lambda, env: FILE_ENV });
    assertIncludes(stdout, 'true', 'verify in the bundle');
  }
});

const ADAPTER_CHECK = `
import { createKeyStoreFromEnv, KeyManager } from '@phlow/keys-core';
const keys = new KeyManager({ store: await createKeyStoreFromEnv() });
await keys.generateKeyPair('my-agent');
const signature = await keys.sign('my-agent', 'payload');
console.log(keys.store.type, await keys.verify('my-agent', 'payload', signature));
`;
for (const name of ['phlow-keystore-redis', 'redis']) {
  await step(`third-party adapter resolved as PHLOW_KEY_STORE_TYPE=${name}`, async () => {
    const { stdout } = await runSnippet('adapter', ADAPTER_CHECK, { env: { PHLOW_KEY_STORE_TYPE: name } });
    assertIncludes(stdout, 'redis true', 'the redis store signs and verifies');
  });
}

// The env README's spelling: shells cannot export "-", so the id my-agent is exported as MY_AGENT.
const pair = generateKeyPairSync('ed25519');
const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' });
const MIGRATE_ENV = {
  PHLOW_PRIVATE_KEY_MY_AGENT: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }),
  PHLOW_PUBLIC_KEY_MY_AGENT: publicPem,
};
const MIGRATE = ['migrate', '--from', 'environment', '--to', 'encrypted_file', '--json'];

await step(
  'migrate from upper-snake variables without a mapping does not rename the id silently',
  async () => {
    const dir = join(app, 'migrate-plain');
    mkdirSync(dir);
    await sh('phlow-keys', ['init'], { cwd: dir });
    const result = await sh('phlow-keys', MIGRATE, { cwd: dir, env: MIGRATE_ENV, expectCode: null });
    // Either it refuses, or it copies under the intended id my-agent; never a "copied" MY_AGENT on its own.
    assertIncludes(result.stdout + result.stderr, '--as', 'the way to say which id is meant');
    const { stdout } = await sh('phlow-keys', ['list', '--json'], { cwd: dir, expectCode: null });
    if (stdout.includes('"MY_AGENT"')) throw new Error(`the key was stored as MY_AGENT: ${stdout}`);
  },
);

await step('migrate --as MY_AGENT=my-agent copies the key under my-agent', async () => {
  const dir = join(app, 'migrate-as');
  mkdirSync(dir);
  await sh('phlow-keys', ['init'], { cwd: dir });
  const { stdout } = await sh('phlow-keys', [...MIGRATE, '--as', 'MY_AGENT=my-agent'], {
    cwd: dir,
    env: MIGRATE_ENV,
  });
  assertIncludes(stdout, '"my-agent"', 'the mapping in --json');
  const got = JSON.parse((await sh('phlow-keys', ['get', 'my-agent', '--json'], { cwd: dir })).stdout);
  if (got.publicKey?.trim() !== publicPem.trim())
    throw new Error('my-agent in the file store is not the exported key');
});

if (failures === 0) rmSync(work, { recursive: true, force: true });
else console.log(`left ${work} for inspection`);
console.log(`tarball-e2e: ${failures ? `${failures} step(s) failed` : 'all steps passed'}`);
process.exit(failures ? 1 : 0);
