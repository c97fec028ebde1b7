/**
 * `phlow-keys help [command]`: what people type before they think of `--help`. Its help text only; what it
 * does is in run.ts, loaded only when it runs (and loading nothing `--help` does not load).
 */
import type { Command } from '../../command.js';

export const help: Command = {
  name: 'help',
  summary: "show this help, or one command's (as --help and <command> --help do)",
  usage: 'help [command]',
  description:
    'Without a command, the list of commands and global options (as phlow-keys --help). With one, its usage, options and examples (as phlow-keys <command> --help); words after the command are ignored, as --help ignores them.',
  options: {},
  optionHelp: [],
  examples: ['phlow-keys help', 'phlow-keys help generate'],
  run: async (context) => (await import('./run.js')).run(context),
};
