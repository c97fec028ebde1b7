// Types of vitest.mjs.
import type { ViteUserConfig } from 'vitest/config';

type TestSettings = NonNullable<ViteUserConfig['test']>;

export const oneServerSettings: TestSettings;
export function packageTestConfig(test?: TestSettings): ViteUserConfig;
