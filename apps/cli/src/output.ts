/**
 * Everything the CLI writes goes through here: results to stdout (a table or text, or JSON with `--json`),
 * notes, warnings, progress and errors to stderr, so that `phlow-keys ... > file` captures only the result.
 *
 * Colour only on a terminal and never with NO_COLOR set (https://no-color.org), decided per stream: piping
 * stdout must not put escape codes into a file while stderr still shows colour on the terminal.
 */
import { stripVTControlCharacters } from 'node:util';
import type { Env } from '@phlow/keys-core';

export interface Stream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

export type Paint = (style: Style, text: string) => string;

function painter(stream: Stream, env: Env): Paint {
  const enabled = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  return enabled
    ? (style, text) => `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m`
    : (_, t) => t;
}

/** Visible width: escape codes take no columns. */
const width = (text: string) => stripVTControlCharacters(text).length;

export class Output {
  readonly json: boolean;
  readonly stdout: Stream;
  readonly stderr: Stream;
  /** Colour for text written to stdout / stderr. */
  readonly paint: Paint;
  readonly paintErr: Paint;

  constructor(options: { json: boolean; stdout: Stream; stderr: Stream; env: Env }) {
    this.json = options.json;
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.paint = painter(options.stdout, options.env);
    this.paintErr = painter(options.stderr, options.env);
  }

  /** A line of the result (stdout). */
  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** The result as JSON (stdout), two-space indented, one trailing newline. */
  data(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A note for the human at the terminal (stderr): next steps, what was skipped. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.paintErr('yellow', 'warning:')} ${text}\n`);
  }

  error(text: string): void {
    this.stderr.write(`${this.paintErr('red', 'error:')} ${text}\n`);
  }

  /** Rows as aligned columns with a header (stdout). Cells are plain strings; colour may be added after. */
  table(columns: readonly string[], rows: readonly (readonly string[])[]): void {
    const widths = columns.map((c, i) => Math.max(width(c), ...rows.map((r) => width(r[i] ?? ''))));
    const format = (cells: readonly string[]) =>
      cells
        .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - width(cell))))
        .join('  ')
        .trimEnd();
    this.line(this.paint('bold', format(columns)));
    for (const row of rows) this.line(format(row));
  }

  /** Indented `label  value` pairs, labels aligned (stdout). */
  fields(pairs: readonly (readonly [string, string])[]): void {
    const labelWidth = Math.max(...pairs.map(([label]) => label.length));
    for (const [label, value] of pairs) {
      this.line(`  ${this.paint('dim', label.padEnd(labelWidth))}  ${value}`);
    }
  }
}
