/**
 * `phlow-keys completion`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const completion: Command = {
  name: 'completion',
  summary: 'print a shell completion script (bash or zsh)',
  usage: 'completion bash|zsh',
  description:
    'Prints a script that completes commands, options and store types. Load it from your shell startup file: eval "$(phlow-keys completion bash)" in ~/.bashrc, or eval "$(phlow-keys completion zsh)" in ~/.zshrc after compinit.',
  options: {},
  optionHelp: [],
  examples: ['eval "$(phlow-keys completion bash)"', 'phlow-keys completion zsh >> ~/.zshrc'],
  run: async (context) => (await import('./run.js')).run(context),
};
