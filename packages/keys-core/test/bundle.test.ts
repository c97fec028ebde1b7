/**
 * A real esbuild bundle (the AWS Lambda path) finds its adapter through the `providers` option, with no
 * node_modules left next to it; without the provider it gets ADAPTER_NOT_FOUND saying what to do.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const core = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'index.ts');

/** An application with one adapter package installed, bundled with esbuild, then its node_modules deleted. */
async function bundledApp(format: 'esm' | 'cjs'): Promise<string> {
  const app = mkdtempSync(join(tmpdir(), `phlow-bundle-${format}-`));
  const adapter = join(app, 'node_modules', 'phlow-keystore-lambda');
  mkdirSync(adapter, { recursive: true });
  writeFileSync(
    join(adapter, 'package.json'),
    JSON.stringify({
      name: 'phlow-keystore-lambda',
      type: 'module',
      exports: { '.': { import: './index.js' } },
    }),
  );
  writeFileSync(
    join(adapter, 'index.js'),
    `import { defineKeyStoreProvider } from '@phlow/keys-core';
export default defineKeyStoreProvider({ type: 'lambda', create: () => ({ type: 'lambda' }) });`,
  );
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, dependencies: { 'phlow-keystore-lambda': '1.0.0' } }),
  );
  writeFileSync(
    join(app, 'handler.js'),
    `import { createKeyStoreFromEnv } from '@phlow/keys-core';
import lambda from 'phlow-keystore-lambda';
async function main() {
  const providers = process.argv[3] === 'with-providers' ? [lambda] : undefined;
  try {
    const store = await createKeyStoreFromEnv({ PHLOW_KEY_STORE_TYPE: process.argv[2] }, { providers });
    console.log(JSON.stringify({ type: store.type }));
  } catch (error) {
    console.log(JSON.stringify({ code: error.code, message: error.message }));
  }
}
main();`,
  );
  const outfile = join(app, 'dist', format === 'esm' ? 'handler.mjs' : 'handler.cjs');
  await build({
    entryPoints: [join(app, 'handler.js')],
    bundle: true,
    platform: 'node',
    format,
    outfile,
    alias: { '@phlow/keys-core': core },
    logLevel: 'silent',
  });
  rmSync(join(app, 'node_modules'), { recursive: true, force: true });
  rmSync(join(app, 'handler.js'));
  return outfile;
}

function run(file: string, ...args: string[]): Promise<{ type?: string; code?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file, ...args], { timeout: 120_000, cwd: dirname(file) }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout.trim()));
    });
  });
}

describe.each(['esm', 'cjs'] as const)('an esbuild bundle (%s)', (format) => {
  it('loads its adapter from providers, by type and without node_modules', async () => {
    const handler = await bundledApp(format);
    expect(await run(handler, 'lambda', 'with-providers')).toEqual({ type: 'lambda' });
    const missing = await run(handler, 'lambda');
    expect(missing.code).toBe('ADAPTER_NOT_FOUND');
    expect(missing.message).toContain('If the application is bundled (esbuild, webpack, AWS Lambda)');
    expect(missing.message).toContain("import provider from '@phlow/keystore-lambda'");
    expect(missing.message).toContain('{ providers: [provider] }');
  }, 180_000);
});
