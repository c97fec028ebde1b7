import { packageBuild } from '../../tooling/tsconfig/tsdown.ts';

// The Transit signer store is a subpath export (@phlow/keystore-vault/transit) sharing the KV store's transport.
export default packageBuild({ entry: ['src/index.ts', 'src/transit.ts'] });
