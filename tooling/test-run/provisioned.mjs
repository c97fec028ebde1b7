/**
 * Which commands a test may start by name: those of the machine image (machine-image.txt, kept by hand from
 * the image's description), those the project's own scripts install (every `command -v NAME` in a
 * tooling/services/<tool>/install.sh, the script that installs NAME when it is missing), and the project's
 * own npm binaries (node_modules/.bin of the root and of each workspace package, and the workspace packages'
 * `bin`). Everything else is unprovisioned: a fresh machine has no such command.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

/** The names machine-image.txt lists (one a line; `#` starts a comment). */
export function imageCommands(root = ROOT) {
  return readFileSync(join(root, 'tooling', 'test-run', 'machine-image.txt'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/** `{ name, script }` for every command a tooling/services install script makes sure of. */
export function installedByScripts(root = ROOT) {
  const services = join(root, 'tooling', 'services');
  return readdirSync(services, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(services, d.name, 'install.sh')))
    .flatMap((d) => {
      const script = `tooling/services/${d.name}/install.sh`;
      const text = readFileSync(join(root, script), 'utf8');
      return [...text.matchAll(/command -v ([A-Za-z0-9_.+-]+)/g)].map((m) => ({ name: m[1], script }));
    });
}

/** The npm binaries of the workspace: `node_modules/.bin` entries and the packages' own `bin` names. */
export function workspaceBinaries(root = ROOT) {
  const dirs = [
    root,
    ...['packages', 'apps', 'tooling'].flatMap((group) =>
      readdirSync(join(root, group)).map((name) => join(root, group, name)),
    ),
  ];
  const names = new Set();
  for (const dir of dirs) {
    const bin = join(dir, 'node_modules', '.bin');
    if (existsSync(bin)) for (const name of readdirSync(bin)) names.add(name);
    const manifest = join(dir, 'package.json');
    if (dir !== root && existsSync(manifest)) {
      const { name, bin: own } = JSON.parse(readFileSync(manifest, 'utf8'));
      if (typeof own === 'string') names.add(name.replace(/^@[^/]+\//, ''));
      else for (const key of Object.keys(own ?? {})) names.add(key);
    }
  }
  return names;
}

/** Every command a test may start by name. */
export function allowedCommands(root = ROOT) {
  return new Set([
    ...imageCommands(root),
    ...installedByScripts(root).map((c) => c.name),
    ...workspaceBinaries(root),
  ]);
}

/**
 * The spawn log's commands that nothing provides: `[{ name, dirs }]`, sorted by name.
 * @param {string} log the text of a PHLOW_SPAWN_LOG file
 */
export function unprovisioned(log, allowed = allowedCommands()) {
  const found = new Map();
  for (const line of log.split('\n')) {
    const [name, dir] = line.split('\t');
    if (!name || allowed.has(name)) continue;
    if (!found.has(name)) found.set(name, new Set());
    found.get(name).add(dir);
  }
  return [...found].sort(([a], [b]) => a.localeCompare(b)).map(([name, dirs]) => ({ name, dirs: [...dirs] }));
}
