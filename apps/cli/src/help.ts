/**
 * `phlow-keys --help` and `phlow-keys <command> --help`. Every command's help ends with an example that runs.
 */

import { GLOBAL_HELP } from './args.js';
import type { Command } from './command.js';
import type { Output } from './output.js';

function rows(out: Output, pairs: readonly (readonly [string, string])[]): void {
  const width = Math.max(...pairs.map(([flag]) => flag.length));
  for (const [flag, text] of pairs) out.line(`  ${out.paint('cyan', flag.padEnd(width))}  ${text}`);
}

export function printMainHelp(out: Output, commands: readonly Command[]): void {
  out.line(`${out.paint('bold', 'phlow-keys')}: store, rotate, migrate and check Phlow agent signing keys`);
  out.line();
  out.line('Usage: phlow-keys <command> [options]');
  out.line();
  out.line(out.paint('bold', 'Commands'));
  rows(
    out,
    commands.map((c) => [c.name, c.summary]),
  );
  out.line();
  out.line(out.paint('bold', 'Global options'));
  rows(out, GLOBAL_HELP);
  out.line();
  out.line(
    'The store is --store, else PHLOW_KEY_STORE_TYPE, else encrypted_file (.phlow/keys.enc, master key from',
  );
  out.line('PHLOW_MASTER_KEY, PHLOW_MASTER_KEY_FILE, or .phlow/master.key when neither is set).');
  out.line();
  out.line(out.paint('bold', 'Example'));
  out.line('  phlow-keys init && phlow-keys generate my-agent && phlow-keys jwks');
  out.line();
  out.line("Run `phlow-keys <command> --help` for a command's options.");
}

export function printCommandHelp(out: Output, command: Command): void {
  out.line(`Usage: phlow-keys ${command.usage}`);
  out.line();
  out.line(command.description ?? `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`);
  if (command.optionHelp.length > 0) {
    out.line();
    out.line(out.paint('bold', 'Options'));
    rows(out, command.optionHelp);
  }
  out.line();
  out.line(out.paint('bold', 'Global options'));
  rows(out, GLOBAL_HELP);
  out.line();
  out.line(out.paint('bold', command.examples.length > 1 ? 'Examples' : 'Example'));
  for (const example of command.examples) out.line(`  ${example}`);
}
