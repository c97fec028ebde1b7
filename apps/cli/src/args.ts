/**
 * Command-line parsing with node:util parseArgs. Global flags may appear anywhere (`phlow-keys --json list`
 * and `phlow-keys list --json` are the same), so parsing takes two passes: a lenient one over every known
 * option to find the command name, then a strict one with the global options plus that command's own.
 */
import { parseArgs } from 'node:util';
import type { Command, GlobalFlags, OptionsConfig, OptionValues } from './command.js';
import { UsageError } from './usage-error.js';

export const GLOBAL_OPTIONS: OptionsConfig = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
};

export const GLOBAL_HELP: readonly (readonly [string, string])[] = [
  [
    '--store <type>',
    'encrypted_file (default), environment, vault, aws or an adapter package; overrides PHLOW_KEY_STORE_TYPE',
  ],
  ['--json', 'print results as JSON (shapes in the README)'],
  ['--debug', 'show stack traces and causes of errors'],
  ['-h, --help', 'show help (also `phlow-keys <command> --help`)'],
  ['-V, --version', 'print the version'],
];

export interface Parsed {
  readonly command: Command | undefined;
  /** The first positional when it names no command. */
  readonly unknownCommand: string | undefined;
  readonly positionals: string[];
  readonly values: OptionValues;
  readonly flags: GlobalFlags;
  readonly help: boolean;
  readonly version: boolean;
}

function findCommandName(argv: readonly string[], commands: readonly Command[]): string | undefined {
  const options: OptionsConfig = { ...GLOBAL_OPTIONS };
  for (const command of commands) Object.assign(options, command.options);
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.find((t) => t.kind === 'positional')?.value;
}

export function parseCommandLine(argv: readonly string[], commands: readonly Command[]): Parsed {
  const name = findCommandName(argv, commands);
  const command = commands.find((c) => c.name === name);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...command?.options },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    // parseArgs' messages are clear ("Unknown option '--x'"); only the pointer to help is added.
    throw new UsageError((error as Error).message, command?.name);
  }
  const values = parsed.values as OptionValues;
  const positionals = command ? parsed.positionals.slice(1) : parsed.positionals;
  return {
    command,
    unknownCommand: command ? undefined : name,
    positionals,
    values,
    flags: {
      store: typeof values.store === 'string' ? values.store : undefined,
      json: values.json === true,
      debug: values.debug === true,
    },
    help: values.help === true,
    version: values.version === true,
  };
}
