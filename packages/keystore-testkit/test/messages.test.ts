import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runKeyStoreConformance } from '../src/index.js';
import { label } from '../src/named-store.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('conformance failure messages name the method and the escaped id', () => {
  it('a broken store fails with reports like getPublicKey("nl\\nid") ... and getPublicKey("ct-missing-…")', async () => {
    const report = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        [
          join(root, 'node_modules', 'vitest', 'vitest.mjs'),
          'run',
          '--config',
          'test/fixtures/vitest.config.ts',
        ],
        { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 300_000 },
        (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
      );
    });
    expect(report).toContain(
      'getPublicKey("nl\\nid") should fail with KeyStoreError INVALID_KEY_ID, but it succeeded',
    );
    expect(report).toMatch(/getPublicKey\("ct-missing-[a-z0-9-]+"\): expected undefined to be null/);
    expect(report).not.toContain('-----BEGIN');
    // The transport group on a store without a total deadline and with a talkative agent (transport.fixture.ts).
    expect(report).toMatch(
      /getPublicKey\("ct-trickle-[a-z0-9-]+"\) against an endpoint that trickles one byte a second \(deadline 2000 ms\) was still reading after 15 bytes/,
    );
    expect(report).toContain('NODE_DEBUG output contains credential #1 of prepare().secrets');
    expect(report).not.toContain('phlowLeakyToken');
  }, 300_000);

  it('label escapes control characters and never shows a PEM', () => {
    expect(label('getPrivateKey', 'tab\tid')).toBe('getPrivateKey("tab\\tid")');
    expect(label('getPrivateKey', 'nul\0id')).toBe('getPrivateKey("nul\\u0000id")');
    expect(label('storeKeyPair', 'a', '-----BEGIN PRIVATE KEY-----\nMC4C\n', { expectedVersion: null })).toBe(
      'storeKeyPair("a", <pem>, {"expectedVersion":null})',
    );
  });
});

describe('skip keys', () => {
  it('an unknown group or an empty reason is refused when the suite is declared', () => {
    const create = () => {
      throw new Error('never called');
    };
    expect(() => runKeyStoreConformance({ name: 'x', create, skip: { version: 'typo' } as never })).toThrow(
      /unknown skip group "version"; the groups are reads, keyIds, writes, concurrency, versions, rotation, errors, signer, transport/,
    );
    expect(() => runKeyStoreConformance({ name: 'x', create, skip: { versions: '' } })).toThrow(
      /needs a reason/,
    );
  });
});
