import { oneServerSettings, packageTestConfig } from '@phlow/test-support/vitest';

// Child processes import the built package (rebuilt first when src/ is newer than dist/). The tests share one
// moto server and one of them stops and restarts it (moto then comes back empty): files run one at a time.
export default packageTestConfig(oneServerSettings);
