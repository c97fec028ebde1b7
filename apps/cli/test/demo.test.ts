/** demo.sh, as a newcomer runs it after a build: it must succeed and show what it promises. */
import { describe, expect, it } from 'vitest';
import { baseEnv, DEMO, runCommand, tempDir } from './helpers.js';

describe('demo.sh', () => {
  it('runs init, generate, sign/verify, rotate, JWKS with both keys, the old signature verifying', async () => {
    // Store settings in the caller's shell must not leak into the demo.
    const env = baseEnv({ PHLOW_KEY_STORE_TYPE: 'vault', PHLOW_MASTER_KEY: 'not this one' });
    const cwd = tempDir('demo-caller');
    const result = await runCommand('bash', [DEMO], { cwd, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    for (const step of [
      'phlow-keys init',
      'phlow-keys generate demo-agent',
      'phlow-keys rotate demo-agent',
      'phlow-keys jwks',
    ]) {
      expect(out).toContain(`$ ${step}`);
    }
    expect(out.match(/^valid signature by demo-agent$/gm)).toHaveLength(2);
    expect(out).toContain('invalid signature');
    expect(out).toMatch(/grace period\s+1d/);
    expect(out).toContain('Done.');
    expect(out).not.toContain('PRIVATE KEY');
    expect(out).not.toContain('\u001b[');
  });
});
