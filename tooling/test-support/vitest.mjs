// The Vitest configuration of a package whose tests run children that import its built dist/: every such
// package rebuilds first (build-before-test.ts); a package passes only the settings that differ. Plain
// JavaScript: Vitest loads a workspace package's config helpers with Node itself, without transforming them.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * For packages whose tests share one real server (Vault, moto) that some of them stop, seal or restart: files
 * run one at a time, with waits long enough for a loaded machine.
 */
export const oneServerSettings = { fileParallelism: false, testTimeout: 60_000, hookTimeout: 120_000 };

/** @param {import('vitest/config').ViteUserConfig['test']} test Settings added to (or replacing) the defaults. */
export function packageTestConfig(test = {}) {
  return defineConfig({
    test: { globalSetup: [fileURLToPath(new URL('./build-before-test.ts', import.meta.url))], ...test },
  });
}
