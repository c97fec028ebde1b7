import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // RSA key generation and the Python interop runs are slow on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
