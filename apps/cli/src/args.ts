/**
 * Command-line parsing with node:util parseArgs. Global flags may appear anywhere (`phlow-keys --json list`
 * and `phlow-keys list --json` are the same), so parsing takes two passes: a lenient one over every known
 * option to find the command name, then a strict one with the global options plus that command's own.
 */
import { parseArgs } from 'node:util';
import type { Command, GlobalFlags, OptionsConfig, OptionValues } from './command.js';
import { STORE_TYPES } from './store-types.js';
import { closest, didYouMean } from './suggest.js';
import { UsageError } from './usage-error.js';
import { describeUserInput, looksLikeKeyMaterial } from './user-input.js';

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
    `${STORE_TYPES.join(', ').replace('encrypted_file', 'encrypted_file (default)')} or an adapter package; overrides PHLOW_KEY_STORE_TYPE`,
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

type Tokens = NonNullable<ReturnType<typeof parseArgs>['tokens']>;

/** The global options and every command's. */
function allOptions(commands: readonly Command[]): OptionsConfig {
  const options: OptionsConfig = { ...GLOBAL_OPTIONS };
  for (const command of commands) Object.assign(options, command.options);
  return options;
}

/**
 * The first positional (the command name), and the options written before it that no command knows. Those
 * come first in an error: in `--stor file list` lenient parsing takes `--stor` for a flag and `file` for the
 * command, but the mistake is the option.
 */
function findCommandName(
  argv: readonly string[],
  commands: readonly Command[],
): { name: string | undefined; unknownBefore: Tokens } {
  const options = allOptions(commands);
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const first = tokens.findIndex((t) => t.kind === 'positional');
  const before = first === -1 ? tokens : tokens.slice(0, first);
  return {
    name: first === -1 ? undefined : (tokens[first] as { value: string }).value,
    unknownBefore: before.filter((t) => t.kind === 'option' && !Object.hasOwn(options, t.name)),
  };
}

/** `--name` and `-n` for every option in `options`. */
function spellings(options: OptionsConfig): string[] {
  return Object.entries(options).flatMap(([name, spec]) => [
    `--${name}`,
    ...(spec.short ? [`-${spec.short}`] : []),
  ]);
}

/**
 * parseArgs in lenient mode, then our own checks, because its strict messages quote the offending argument
 * verbatim (a PEM pasted in the wrong place starts with `-----`, so it reads as an unknown option) and
 * refuse option values that start with a dash (`--message -x`).
 */
function checkOptions(
  argv: readonly string[],
  tokens: Tokens,
  options: OptionsConfig,
  command: Command | undefined,
): void {
  const known = spellings(options);
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    const where = command ? `${command.name} has no option` : 'unknown option';
    if (!spec) {
      const typed = argv[token.index] ?? token.rawName;
      if (looksLikeKeyMaterial(typed)) {
        throw new UsageError(
          `${command?.name ?? 'phlow-keys'} got ${describeUserInput(typed)} as an argument: keys never go on the command line`,
          command?.name,
        );
      }
      const name = typed.split('=')[0]!;
      // Only long names are worth a guess: every single letter is one edit from another.
      const suggestion = name.startsWith('--')
        ? closest(
            name,
            known.filter((k) => k.startsWith('--')),
          )
        : undefined;
      throw new UsageError(`${where} ${describeUserInput(typed)}${didYouMean(suggestion)}`, command?.name);
    }
    const flag = token.rawName.startsWith('--') ? token.rawName : `-${spec.short} (--${token.name})`;
    if (spec.type === 'boolean' && token.value !== undefined) {
      throw new UsageError(`${flag} takes no value; write ${flag} alone`, command?.name);
    }
    if (spec.type === 'string') {
      const value = token.value;
      if (value === undefined || (!token.inlineValue && known.includes(value.split('=')[0]!))) {
        throw new UsageError(`${flag} needs a value, e.g. ${flag}=<value>`, command?.name);
      }
    }
  }
}

export function parseCommandLine(argv: readonly string[], commands: readonly Command[]): Parsed {
  const { name, unknownBefore } = findCommandName(argv, commands);
  const command = commands.find((c) => c.name === name);
  // `--stor file list`: the unknown option, not "unknown command file".
  if (!command && unknownBefore.length > 0)
    checkOptions(argv, unknownBefore, allOptions(commands), undefined);
  const options: OptionsConfig = { ...GLOBAL_OPTIONS, ...command?.options };
  const parsed = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  // An unknown command is reported before its options, which are unknown too.
  if (command || name === undefined) checkOptions(argv, parsed.tokens, options, command);
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

/** The error for a first argument that names no command, with the closest command name. */
export function unknownCommand(name: string, commands: readonly Command[]): UsageError {
  const suggestion = closest(
    name,
    commands.map((c) => c.name),
  );
  return new UsageError(`unknown command ${describeUserInput(name)}${didYouMean(suggestion)}`);
}
