import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every test runs the built CLI as a child process (and some run the demo or talk to Vault and moto).
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
