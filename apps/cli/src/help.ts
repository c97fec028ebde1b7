/**
 * `phlow-keys --help` and `phlow-keys <command> --help` (also `phlow-keys help [command]`). Every command's help ends with an example that runs.
 */

import { GLOBAL_HELP } from './args.js';
import type { Command } from './command.js';
import type { Output } from './output.js';
import { wrapParagraphs, wrapWords } from './wrap.js';

/** `flag  explanation` rows; explanations wrap to the terminal in their own column. */
function rows(out: Output, pairs: readonly (readonly [string, string])[]): void {
  const width = Math.max(...pairs.map(([flag]) => flag.length));
  const indent = width + 4;
  // A column narrower than 30 is unreadable: then the explanation starts on the next line instead.
  const beside = out.columns - indent >= 30;
  for (const [flag, text] of pairs) {
    if (!beside) {
      out.line(`  ${out.paint('cyan', flag)}`);
      for (const line of wrapWords(text, out.columns - 6)) out.line(`      ${line}`);
      continue;
    }
    const [first, ...rest] = wrapWords(text, out.columns - indent);
    out.line(`  ${out.paint('cyan', flag.padEnd(width))}  ${first}`);
    for (const line of rest) out.line(`${' '.repeat(indent)}${line}`);
  }
}

/** Prose lines wrapped to the terminal. */
function prose(out: Output, text: string): void {
  for (const line of wrapParagraphs(text, out.columns)) out.line(line);
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
  prose(
    out,
    'The store is --store, else PHLOW_KEY_STORE_TYPE, else encrypted_file (.phlow/keys.enc, master key from PHLOW_MASTER_KEY, PHLOW_MASTER_KEY_FILE, or .phlow/master.key when neither is set).',
  );
  out.line();
  out.line(out.paint('bold', 'Example'));
  out.line('  phlow-keys init && phlow-keys generate my-agent && phlow-keys jwks');
  out.line();
  prose(out, "Run `phlow-keys help <command>` (or `phlow-keys <command> --help`) for a command's options.");
}

export function printCommandHelp(out: Output, command: Command): void {
  const [first, ...rest] = wrapWords(`phlow-keys ${command.usage}`, out.columns - 7);
  out.line(`Usage: ${first}`);
  for (const line of rest) out.line(`         ${line}`);
  out.line();
  prose(out, command.description ?? `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`);
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
