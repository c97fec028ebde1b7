import { packageBuild } from '../../tooling/tsconfig/tsdown.ts';

export default packageBuild();
