/**
 * `phlow-keys completion bash|zsh|fish`: prints a completion script for the shell (commands, options, store
 * types), generated from the command table the context carries (scripts.ts).
 */
import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { UsageError } from '../../usage-error.js';
import { describeUserInput } from '../../user-input.js';
import { bashCompletion, fishCompletion, zshCompletion } from './scripts.js';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion } as const;

export async function run(context: CommandContext): Promise<ExitCode> {
  const [shell, ...rest] = context.positionals;
  if (shell === undefined || rest.length > 0 || !(shell in SHELLS)) {
    throw new UsageError(
      `completion takes one shell, bash, zsh or fish${shell === undefined ? '' : `; got ${describeUserInput(context.positionals.join(' '))}`}`,
      'completion',
    );
  }
  context.out.stdout.write(SHELLS[shell as keyof typeof SHELLS](context.commands));
  return EXIT.OK;
}
