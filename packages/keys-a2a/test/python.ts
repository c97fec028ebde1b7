// Runs test/python/interop.py in the venv that tooling/services/python-a2a/install.sh made (the package's
// test script runs the installer first; a missing venv fails the test, it is never skipped).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const installer = join(here, '../../../tooling/services/python-a2a/install.sh');

let venv: string | undefined;

export function python(command: string, request: unknown): unknown {
  venv ??= execFileSync('bash', [installer], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const out = execFileSync(join(venv, 'bin/python'), [join(here, 'python/interop.py'), command], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return JSON.parse(out);
}
