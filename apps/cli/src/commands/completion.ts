/**
 * `phlow-keys completion bash|zsh`: prints a completion script for the shell (commands, options, store
 * types), generated from the command table; see completion.ts.
 */
import type { Command } from '../command.js';
import { bashCompletion, zshCompletion } from '../completion.js';
import { EXIT } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';
import { describeUserInput } from '../user-input.js';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion } as const;

export const completion: Command = {
  name: 'completion',
  summary: 'print a shell completion script (bash or zsh)',
  usage: 'completion bash|zsh',
  description:
    'Prints a script that completes commands, options and store types. Load it from your shell startup file: eval "$(phlow-keys completion bash)" in ~/.bashrc, or eval "$(phlow-keys completion zsh)" in ~/.zshrc after compinit.',
  options: {},
  optionHelp: [],
  examples: ['eval "$(phlow-keys completion bash)"', 'phlow-keys completion zsh >> ~/.zshrc'],
  async run(context) {
    const [shell, ...rest] = context.positionals;
    if (shell === undefined || rest.length > 0 || !(shell in SHELLS)) {
      throw new UsageError(
        `completion takes one shell, bash or zsh${shell === undefined ? '' : `; got ${describeUserInput(context.positionals.join(' '))}`}`,
        'completion',
      );
    }
    // Imported when run: the command table imports this command.
    const { COMMANDS } = await import('./index.js');
    context.out.stdout.write(SHELLS[shell as keyof typeof SHELLS](COMMANDS));
    return EXIT.OK;
  },
};
