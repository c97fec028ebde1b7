/**
 * `phlow-keys completion`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const completion: Command = {
  name: 'completion',
  summary: 'print a shell completion script (bash, zsh or fish)',
  usage: 'completion bash|zsh|fish',
  description:
    'Prints a script that completes commands, options and store types. Load it from your shell startup file: eval "$(phlow-keys completion bash)" in ~/.bashrc, or eval "$(phlow-keys completion zsh)" in ~/.zshrc after compinit, or phlow-keys completion fish | source in ~/.config/fish/config.fish.',
  options: {},
  optionHelp: [],
  examples: [
    'eval "$(phlow-keys completion bash)"',
    'phlow-keys completion zsh >> ~/.zshrc',
    'phlow-keys completion fish > ~/.config/fish/completions/phlow-keys.fish',
  ],
  run: async (context) => (await import('./run.js')).run(context),
};
