import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The tests share one Vault server and some of them seal, stop and restart it: run files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
