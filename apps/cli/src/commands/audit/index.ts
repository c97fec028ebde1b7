/**
 * `phlow-keys audit`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const audit: Command = {
  name: 'audit',
  summary: 'summarize an audit log: who used which key, when, how often (failures first)',
  usage: 'audit [file]',
  description:
    'Reads a JSON-lines audit log, by default the file PHLOW_KEY_AUDIT_LOG names, and prints one row per caller, key, operation and outcome with counts and first/last times. Failed and denied attempts and signatures that did not verify come first. Malformed lines are skipped and counted; only the newest 64 MiB of a larger log are read.',
  options: {},
  optionHelp: [],
  examples: ['phlow-keys audit /var/log/phlow/keys-audit.log', 'phlow-keys audit --json | jq ".rows[0]"'],
  run: async (context) => (await import('./run.js')).run(context),
};
