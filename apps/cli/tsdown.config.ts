import { defineConfig } from 'tsdown';

// One executable file: the shebang makes `phlow-keys` runnable from the bin link (tsdown marks a file with a
// shebang executable). The adapters stay external: dependencies load from node_modules, vault/aws at run time.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: 'esm',
  platform: 'node',
  target: 'node20',
  dts: false,
  fixedExtension: false,
  banner: { js: '#!/usr/bin/env node' },
});
