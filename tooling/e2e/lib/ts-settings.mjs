/**
 * The TypeScript settings a user may compile against the packages with: one small project each (its
 * `package.json` type and its `tsconfig.json`), with a program that imports every entry point and subpath
 * style (named and default imports, the adapter kit, a subpath export, types) and prints `true` after a
 * sign/verify round trip. `run: true` projects are compiled and their output run with node.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TS_SETTINGS = [
  { name: 'nodenext, ESM', type: 'module', module: 'nodenext', moduleResolution: 'nodenext', run: true },
  {
    name: 'nodenext, CommonJS',
    type: 'commonjs',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    run: true,
  },
  { name: 'node16, ESM', type: 'module', module: 'node16', moduleResolution: 'node16', run: true },
  { name: 'node16, CommonJS', type: 'commonjs', module: 'node16', moduleResolution: 'node16', run: true },
  { name: 'esnext + bundler', type: 'module', module: 'esnext', moduleResolution: 'bundler', run: true },
  { name: 'preserve + bundler', type: 'module', module: 'preserve', moduleResolution: 'bundler', run: false },
];

// No top-level await: the same program compiles to CommonJS.
const PROGRAM = `import { createMemoryKeyStore, isKeyStoreError, KeyManager, type KeyStore } from '@phlow/keys-core';
import { wrapStore } from '@phlow/keys-core/adapter';
import { signJwt, verifyJwt } from '@phlow/keys-jwt';
import fileStore, { createFileKeyStore } from '@phlow/keystore-file';
import { createVaultTransitKeyStore } from '@phlow/keystore-vault/transit';

async function main(): Promise<void> {
  const store: KeyStore = wrapStore(createMemoryKeyStore(), (_method, _args, call) => call());
  const keys = new KeyManager({ store });
  await keys.generateKeyPair('ts-settings');
  const signature = await keys.sign('ts-settings', 'payload');
  const loaded = [typeof signJwt, typeof verifyJwt, typeof createFileKeyStore, typeof createVaultTransitKeyStore];
  if (fileStore.type !== 'encrypted_file' || loaded.some((t) => t !== 'function')) throw new Error(String(loaded));
  console.log(!isKeyStoreError(null) && (await keys.verify('ts-settings', 'payload', signature)));
}
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
`;

/**
 * Writes the project of one setting into `dir` (below the application, so the installed packages resolve).
 * @param {string} dir
 * @param {(typeof TS_SETTINGS)[number]} setting
 * @param {string} typesNode the directory of @types/node to link (the workspace's)
 */
export function writeTsProject(dir, setting, typesNode) {
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(typesNode, join(dir, 'node_modules', '@types', 'node'));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ private: true, type: setting.type })}\n`);
  writeFileSync(join(dir, 'index.ts'), PROGRAM);
  const compilerOptions = {
    module: setting.module,
    moduleResolution: setting.moduleResolution,
    target: 'es2022',
    strict: true,
    esModuleInterop: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: 'out',
    ...(setting.run ? {} : { noEmit: true }),
  };
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions, files: ['index.ts'] }, null, 2),
  );
}
