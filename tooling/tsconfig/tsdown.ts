// The one build setting every published package shares: ESM for Node 20, declarations, `.js` extensions.
// A package's tsdown.config.ts passes only what differs (extra entries, externals, bundled dependencies).
import { defineConfig, type UserConfig } from 'tsdown';

export function packageBuild(overrides: UserConfig = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    dts: true,
    fixedExtension: false,
    ...overrides,
  });
}
