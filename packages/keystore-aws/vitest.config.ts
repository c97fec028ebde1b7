import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Child processes import the built package: rebuild it first when src/ is newer than dist/.
    globalSetup: ['test/global-setup.ts'],
    // The tests share one moto server and one of them stops and restarts it (moto then comes back empty):
    // run files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
