// Runs test/python/interop.py in the venv that tooling/services/python-a2a/install.sh made (the package's
// test script runs the installer first; a missing venv fails the test, it is never skipped), through the
// runner the signing packages share.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonInterop } from '@phlow/test-support/python';

const here = dirname(fileURLToPath(import.meta.url));
const interop = pythonInterop({
  installer: join(here, '../../../tooling/services/python-a2a/install.sh'),
  script: join(here, 'python/interop.py'),
});

/** The script's answer to `command` with `request` on stdin. */
export function python(command: string, request: unknown): Promise<unknown> {
  return interop.run(request, [command]);
}
