#!/usr/bin/env node
/**
 * A newcomer's first hour, from the packed tarballs: packs every published package with pnpm (as
 * `changeset publish` does), installs them with npm into a new application in os.tmpdir(), outside the
 * workspace, with their real dependencies from the registry, and runs, in that application:
 * - the CLI README's quick start and the core README's Usage, as written (extracted from the Markdown);
 * - the root README's Usage twice with the encrypted file store (the second run rotates), and once with
 *   PHLOW_KEY_STORE_TYPE unset;
 * - an esbuild bundle of that Usage, with the file store passed as a provider, run where no node_modules is;
 * - a third-party adapter (`phlow-keystore-redis`, ESM only, packed with npm here) resolved by its full package
 *   name and by its short name;
 * - `phlow-keys migrate` from upper-snake environment variables, without and with an `--as` mapping.
 * Every step runs and is reported; the exit status is non-zero if any failed. Nothing is skipped.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeRedisAdapter } from './lib/adapter-fixture.mjs';
import { blockUnder } from './lib/markdown.mjs';
import { run, tail } from './lib/run.mjs';
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
  for (const { dir } of publishedPackages()) {
    execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir, stdio: 'pipe' });
  }
  const adapter = writeRedisAdapter(join(work, 'phlow-keystore-redis'));
  execFileSync('npm', ['pack', '--pack-destination', tarballs], { cwd: adapter, stdio: 'pipe' });
});

await step('npm install the tarballs into an application outside the workspace', async () => {
  writeFileSync(
    join(app, 'package.json'),
    '{ "name": "first-contact", "private": true, "type": "module" }\n',
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
