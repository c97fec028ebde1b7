import { packageBuild } from '../../tooling/tsconfig/tsdown.ts';

// @noble/ed25519 is bundled (noExternal) so that core installs with zero runtime dependencies.
// Its MIT licence travels with the package in THIRD_PARTY_LICENSES.md.
// The adapter kit is a subpath export (@phlow/keys-core/adapter): what store authors build on, kept out of
// the main entry so that applications do not load node:http for it.
export default packageBuild({
  entry: { index: 'src/index.ts', 'adapter/index': 'src/adapter/index.ts' },
  noExternal: ['@noble/ed25519'],
});
