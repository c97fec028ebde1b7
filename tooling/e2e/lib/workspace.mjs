/** Where things are in the workspace: its root, its packages, and every README a reader may copy from. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
const GROUPS = ['packages', 'apps', 'tooling'];

/** Every workspace package: `{ dir, manifest }`, private ones included. */
export function workspacePackages() {
  return GROUPS.flatMap((group) =>
    readdirSync(join(ROOT, group), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(ROOT, group, d.name, 'package.json')))
      .map((d) => {
        const dir = join(ROOT, group, d.name);
        return { dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
      }),
  );
}

/** The packages that are published (not private). */
export const publishedPackages = () => workspacePackages().filter((p) => !p.manifest.private);

/** The root README and each package's, as paths relative to the root. */
export function readmes() {
  return [
    'README.md',
    ...workspacePackages()
      .map((p) => join(p.dir, 'README.md'))
      .filter((f) => existsSync(f))
      .map((f) => relative(ROOT, f)),
  ];
}
