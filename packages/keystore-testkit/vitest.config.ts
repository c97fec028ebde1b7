// The NODE_DEBUG child of test/transport.test.ts imports the built `@phlow/keystore-testkit/transport`:
// rebuild dist/ first when src/ is newer. (A path, not a dependency: test-support depends on this package.)
import { packageTestConfig } from '../../tooling/test-support/vitest.mjs';

export default packageTestConfig();
