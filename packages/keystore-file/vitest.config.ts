import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Child processes import the built package: rebuild it first when src/ is newer than dist/.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
  },
});
