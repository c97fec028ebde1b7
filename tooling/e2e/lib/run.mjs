/** Runs a command with a deadline and collects its output; never throws, so callers report every failure. */
import { spawn } from 'node:child_process';

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env: Record<string, string>, timeoutMs?: number, input?: string }} options
 * @returns {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string, timedOut: boolean }>}
 */
export function run(command, args, { cwd, env, timeoutMs = 180_000, input }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      // The child leads its own process group, so this ends what it started too.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', (e) => {
      stderr += String(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    // A command that exits without reading its input closes the pipe first: that is not a failure of ours.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** The last lines of a command's output, for a failure report. */
export const tail = (text, lines = 25) => text.trimEnd().split('\n').slice(-lines).join('\n');
