// The CLI carries its own build of the phlow-keys packages it uses (apps/cli/tsdown.config.ts: one chunk per
// package, `keys-core-<hash>.js`...), so a release of one of them reaches CLI users only with a CLI release, and
// changesets does not make one by itself (they are the CLI's devDependencies). check.mjs refuses a pending
// release of a bundled package without one of @phlow/cli.

const CHUNK = /^((?:keys|keystore)-[a-z0-9]+)-[\w-]{8}\.js$/;

/** The packages the CLI carries, from the file names of its build (apps/cli/dist). */
export function cliBundledPackages(distFiles) {
  const names = distFiles.map((f) => CHUNK.exec(f)?.[1]).filter(Boolean);
  return [...new Set(names)].sort().map((name) => `@phlow/${name}`);
}

/** Problems of a release plan (`changeset status --output`) that releases a bundled package but not the CLI. */
export function bundledReleaseProblems(bundled, plan) {
  const releasing = (name) => plan.releases.some((r) => r.name === name && r.type !== 'none');
  const missed = bundled.filter(releasing);
  if (missed.length === 0 || releasing('@phlow/cli')) return [];
  return [
    `@phlow/cli: the pending changesets release ${missed.join(', ')}, which the CLI carries built in, but not the CLI: add "@phlow/cli": patch to the changeset`,
  ];
}
