import { packageBuild } from '../../tooling/tsconfig/tsdown.ts';

// @noble/ed25519 is bundled (noExternal) so that core installs with zero runtime dependencies.
// Its MIT licence travels with the package in THIRD_PARTY_LICENSES.md.
export default packageBuild({ noExternal: ['@noble/ed25519'] });
