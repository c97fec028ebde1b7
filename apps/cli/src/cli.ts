/**
 * Entry point of the `phlow-keys` command (built to dist/cli.js with a shebang). Everything else is in
 * main.ts; this file only binds it to the process.
 */
import { main } from './main.js';

// `phlow-keys list | head -1` closes stdout early: that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
