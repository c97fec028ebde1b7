/**
 * What a command is: its help text and options, and a `run` that gets everything from a context instead of
 * reaching for process globals, so each command can be read (and reasoned about) on its own.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Env } from '@phlow/keys-core';
import type { ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The flags every command accepts. */
export interface GlobalFlags {
  /** `--store <type>`: overrides PHLOW_KEY_STORE_TYPE. */
  readonly store: string | undefined;
  readonly json: boolean;
  readonly debug: boolean;
}

export interface Input {
  readonly isTTY?: boolean;
  [Symbol.asyncIterator](): AsyncIterator<string | Uint8Array>;
}

export interface CommandContext {
  readonly positionals: readonly string[];
  readonly values: OptionValues;
  readonly flags: GlobalFlags;
  readonly out: Output;
  readonly env: Env;
  readonly cwd: string;
  readonly stdin: Input;
  /** Every command, in the order `--help` lists them (for `completion`, which describes them all). */
  readonly commands: readonly Command[];
}

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The usage line after `phlow-keys `, e.g. `get <id> [--private] [--format pem|jwk]`. */
  readonly usage: string;
  /** Paragraphs shown by `<command> --help`. */
  readonly description?: string;
  readonly options: OptionsConfig;
  /** `[flag, explanation]` rows for `--help`. */
  readonly optionHelp: readonly (readonly [string, string])[];
  readonly examples: readonly string[];
  run(context: CommandContext): Promise<ExitCode>;
}

/** A string option's value, or undefined. */
export function stringValue(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Values of a repeatable string option. */
export function stringValues(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}
