import { packageBuild } from '../../tooling/tsconfig/tsdown.ts';

// vitest and core are the user's own copies (peer dependencies), never bundled. `transport` is the vitest-free
// entry that bench scripts and NODE_DEBUG children import.
export default packageBuild({
  entry: { index: 'src/index.ts', 'transport/index': 'src/transport/index.ts' },
  external: ['vitest', /^@phlow\/keys-core(\/|$)/],
});
