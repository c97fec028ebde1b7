import { defineConfig } from 'vitest/config';

// Every test runs twice: with node:crypto's native Ed25519 (what this runtime detects) and with the bundled
// @noble/ed25519 forced, so both signing paths are held to the same tests.
export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'native' } },
      { extends: true, test: { name: 'noble', setupFiles: ['./test/setup-noble.ts'] } },
    ],
  },
});
