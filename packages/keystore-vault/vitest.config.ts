import { oneServerSettings, packageTestConfig } from '@phlow/test-support/vitest';

// Child processes import the built package (rebuilt first when src/ is newer than dist/). The tests share one
// Vault server and some of them seal, stop and restart it: files run one at a time.
export default packageTestConfig(oneServerSettings);
