/**
 * The CLI as a function: parse, dispatch, turn any failure into a message and an exit code. It never calls
 * process.exit, so output is flushed and stores are closed before the process ends.
 *
 * Start-up cost is paid only for what a call uses: `--version` alone loads nothing but this file; the commands
 * (and with them @phlow/keys-core) load when a command line has to be parsed; a store's adapter loads when a
 * command opens that store, never for `--help`.
 */
import { createRequire } from 'node:module';
import type { Env } from '@phlow/keys-core';
import { parseCommandLine, unknownCommand } from './args.js';
import type { Input } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { printCommandHelp, printMainHelp } from './help.js';
import { Output, type Stream } from './output.js';

export interface Io {
  readonly argv: readonly string[];
  readonly env: Env;
  readonly cwd: string;
  readonly stdin: Input;
  readonly stdout: Stream;
  readonly stderr: Stream;
}

function version(): string {
  // dist/cli.js and src/main.ts both sit one level below package.json.
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

export async function main(io: Io): Promise<ExitCode> {
  const jsonAnywhere = io.argv.includes('--json');
  let out = new Output({ json: jsonAnywhere, stdout: io.stdout, stderr: io.stderr, env: io.env });
  let debug = io.argv.includes('--debug');
  /** The store types this command line names, for "did you mean" when one of them is not found. */
  let storeTypes: string[] = [];
  try {
    if (io.argv.length === 1 && (io.argv[0] === '--version' || io.argv[0] === '-V')) {
      out.line(version());
      return EXIT.OK;
    }
    const { COMMANDS } = await import('./commands/index.js');
    const parsed = parseCommandLine(io.argv, COMMANDS);
    out = new Output({ json: parsed.flags.json, stdout: io.stdout, stderr: io.stderr, env: io.env });
    debug = parsed.flags.debug;
    storeTypes = [parsed.flags.store, io.env.PHLOW_KEY_STORE_TYPE, parsed.values.from, parsed.values.to]
      .filter((type): type is string => typeof type === 'string')
      .map((type) => type.trim());
    if (parsed.version) {
      out.line(version());
      return EXIT.OK;
    }
    if (parsed.unknownCommand !== undefined) {
      throw unknownCommand(parsed.unknownCommand, COMMANDS);
    }
    if (!parsed.command) {
      printMainHelp(out, COMMANDS);
      return parsed.help ? EXIT.OK : EXIT.USAGE;
    }
    if (parsed.help) {
      printCommandHelp(out, parsed.command);
      return EXIT.OK;
    }
    return await parsed.command.run({
      positionals: parsed.positionals,
      values: parsed.values,
      flags: parsed.flags,
      out,
      env: io.env,
      cwd: io.cwd,
      // A getter, as in cli.ts: process.stdin sets up a stream on first access (about 1 ms), which only the
      // commands that read standard input should pay.
      get stdin() {
        return io.stdin;
      },
      commands: COMMANDS,
    });
  } catch (error) {
    const [{ reportError }, { secretInputs }, { withStoreTypeSuggestion }] = await Promise.all([
      import('./report-error.js'),
      import('./user-input.js'),
      import('./store-typo.js'),
    ]);
    return reportError(out, withStoreTypeSuggestion(error, storeTypes), debug, secretInputs(io.argv));
  }
}
