/**
 * Entry point of the `phlow-keys` command (built to dist/cli.js with a shebang). Everything else is in
 * main.ts; this file only binds it to the process. main.ts is imported after V8's compile cache is on
 * (compile-cache.ts), so that it and everything it loads can come from the cache.
 */
import { enableCompileCache } from './compile-cache.js';

enableCompileCache(process.env);
// The build is minified (tsdown.config.ts); with --debug, stack traces name the source files and lines.
const debug = process.argv.includes('--debug');
if (debug) process.setSourceMapsEnabled(true);
const { main } = await import('./main.js');

// `phlow-keys list | head -1` closes stdout early: that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// Ctrl+C is the user's decision, not a failure to explain: exit 130 (128 + SIGINT, what shells report for an
// interrupted command) with no error message and no --debug hint. Exiting here abandons work in progress
// exactly as the default handler would; the file store's writes are atomic renames, so nothing half-written
// stays behind.
process.on('SIGINT', () => {
  if (process.stderr.isTTY) process.stderr.write('\n');
  process.exit(130);
});

// Phlow's warnings (file modes, the environment store) are printed as `warning:` lines, whichever way they
// arrive. Other process warnings, such as the AWS SDK announcing the Node versions it will drop, are for
// developers, not operators: shown with --debug only.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.message.startsWith('[phlow]')) process.stderr.write(`warning: ${warning.message}\n`);
  else if (debug) process.stderr.write(`warning: ${warning.name}: ${warning.message}\n`);
});

process.exitCode = await main({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  // A getter: process.stdin sets up a stream on first access, which `--version` and `--help` never need.
  get stdin() {
    return process.stdin;
  },
  stdout: process.stdout,
  stderr: process.stderr,
});
