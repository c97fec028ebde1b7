import { packageBuild } from '../../tooling/tsconfig/tsdown.ts';

// `@phlow/keys-jwt/jwk-set` is a subpath export without jose (src/jwk-set.ts), for keys-httpsig and keys-a2a's
// handlers and checks that must not load jose when imported.
export default packageBuild({ entry: { index: 'src/index.ts', 'jwk-set': 'src/jwk-set.ts' } });
