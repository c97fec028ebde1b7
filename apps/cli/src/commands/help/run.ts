/**
 * `phlow-keys help` prints what `--help` prints; `help <command>` what `<command> --help` prints; an unknown
 * `help <x>` is the usual unknown-command error with its suggestion (exit 2).
 */
import { unknownCommand } from '../../args.js';
import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { printCommandHelp, printMainHelp } from '../../help.js';

export async function run(context: CommandContext): Promise<ExitCode> {
  const [name] = context.positionals;
  if (name === undefined) {
    printMainHelp(context.out, context.commands);
    return EXIT.OK;
  }
  const command = context.commands.find((c) => c.name === name);
  if (!command) throw unknownCommand(name, context.commands);
  printCommandHelp(context.out, command);
  return EXIT.OK;
}
