import { packageTestConfig } from '@phlow/test-support/vitest';

// The crash and multi-process tests run children that import the built package: it is rebuilt first when src/
// is newer than dist/.
export default packageTestConfig({ testTimeout: 30_000 });
