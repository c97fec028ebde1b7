// The Python interop runner the signing packages' tests share (keys-jwt, keys-a2a, keys-httpsig): the venv one
// of tooling/services/python-*/install.sh makes (cached by the installer; a failed install fails the tests
// that need it, it is never a skip), and a script that reads one JSON request on stdin and prints one JSON
// answer. Async, so a test may serve what the script fetches (a directory, a JWK Set) from its own process.
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Longest an install may take (a cold one downloads wheels): 10 minutes. */
export const INSTALL_TIMEOUT_MS = 600_000;
/** Longest one script run may take before it is killed: 2 minutes. */
export const RUN_TIMEOUT_MS = 120_000;
/** Most bytes of answer (or of error output) read from one run: 64 MiB. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export function pythonInterop({ installer, script }) {
  let python;
  const install = () => {
    python ??= promisify(execFile)('bash', [installer], {
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: MAX_OUTPUT_BYTES,
    }).then(
      // The installer prints the venv's directory last.
      ({ stdout }) => join(stdout.trim().split('\n').pop() ?? '', 'bin', 'python'),
      (error) => {
        throw new Error(
          `these tests need the venv that ${installer} installs; it failed: ${error.stderr?.trim() || error.message}`,
        );
      },
    );
    return python;
  };

  async function run(request, args = []) {
    const executable = await install();
    return new Promise((resolve, reject) => {
      const child = spawn(executable, [script, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: RUN_TIMEOUT_MS,
      });
      const out = [];
      let err = '';
      let bytes = 0;
      const bounded = (chunk) => {
        bytes += chunk.length;
        if (bytes > MAX_OUTPUT_BYTES) child.kill();
        return bytes <= MAX_OUTPUT_BYTES;
      };
      child.stdout.on('data', (chunk) => {
        if (bounded(chunk)) out.push(chunk);
      });
      child.stderr.on('data', (chunk) => {
        if (bounded(chunk)) err += chunk;
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (code !== 0) {
          return reject(new Error(`python ${script} exited ${code ?? signal}: ${err.trim()}`));
        }
        try {
          resolve(JSON.parse(Buffer.concat(out).toString('utf8')));
        } catch (error) {
          // Inside an event handler a throw would be uncaught: the test gets it as the call's rejection.
          reject(new Error(`python ${script} printed no JSON: ${String(error)}`));
        }
      });
      child.stdin.end(JSON.stringify(request));
    });
  }

  return { install: () => install().then(() => undefined), run };
}
