import { defineConfig } from 'tsdown';

// @noble/ed25519 is bundled (noExternal) so that core installs with zero runtime dependencies.
// Its MIT licence travels with the package in THIRD_PARTY_LICENSES.md.
export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  platform: 'node',
  target: 'node20',
  dts: true,
  noExternal: ['@noble/ed25519'],
  fixedExtension: false,
});
