import { packageBuild } from '../../tooling/tsconfig/tsdown.ts';

// vitest and core are the user's own copies (peer dependencies), never bundled.
export default packageBuild({ external: ['vitest', '@phlow/keys-core'] });
