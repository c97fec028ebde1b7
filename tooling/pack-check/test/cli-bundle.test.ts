import { describe, expect, it } from 'vitest';
import { bundledReleaseProblems, cliBundledPackages } from '../cli-bundle.mjs';

const plan = (...releases: [string, string][]) => ({
  changesets: [],
  releases: releases.map(([name, type]) => ({ name, type, newVersion: '1.1.0' })),
});

describe('a release of a package the CLI carries comes with a CLI release', () => {
  it('reads the bundled packages from the chunk names of the CLI build', () => {
    expect(
      cliBundledPackages([
        'cli.js',
        'keys-core-BvQWHedb.js',
        'keys-core-BvQWHedb.js.map',
        'keystore-file-BNApifxJ.js',
        'keys-jwt-D2kGT3cE.js',
        'run-D_Yh_HLE.js',
        'shared-Bnucn0_M.js',
        'dist-TCLN_qB7.js',
      ]),
    ).toEqual(['@phlow/keys-core', '@phlow/keys-jwt', '@phlow/keystore-file']);
  });

  it('refuses a core release without a CLI release, and names the fix', () => {
    const bundled = ['@phlow/keys-core', '@phlow/keystore-file'];
    const problems = bundledReleaseProblems(bundled, plan(['@phlow/keys-core', 'patch']));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('@phlow/keys-core');
    expect(problems[0]).toContain('"@phlow/cli": patch');
  });

  it('accepts it with a CLI release, and a release of a package the CLI does not carry without one', () => {
    const bundled = ['@phlow/keys-core'];
    expect(
      bundledReleaseProblems(bundled, plan(['@phlow/keys-core', 'minor'], ['@phlow/cli', 'patch'])),
    ).toEqual([]);
    expect(bundledReleaseProblems(bundled, plan(['@phlow/keystore-vault', 'patch']))).toEqual([]);
    expect(
      bundledReleaseProblems(bundled, plan(['@phlow/keys-core', 'none'], ['@phlow/cli', 'none'])),
    ).toEqual([]);
  });
});
