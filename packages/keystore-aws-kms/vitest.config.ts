import { oneServerSettings, packageTestConfig } from '@phlow/test-support/vitest';

// The transport group's NODE_DEBUG child imports the built package (rebuilt first when src/ is newer than dist/). The tests
// share one ministack server: files run one at a time, with waits long enough for a loaded machine.
export default packageTestConfig(oneServerSettings);
