/**
 * Everything the CLI writes goes through here: results to stdout (a table or text, or JSON with `--json`),
 * notes, warnings, progress and errors to stderr, so that `phlow-keys ... > file` captures only the result.
 *
 * Colour, decided per stream (piping stdout must not put escape codes into a file while stderr still shows
 * colour on the terminal): FORCE_COLOR set and not empty, `0` or `false` turns it on everywhere
 * (https://force-color.org; CI logs render it); FORCE_COLOR=0 or false turns it off; otherwise NO_COLOR set
 * and not empty turns it off (https://no-color.org: an empty NO_COLOR is as if unset); otherwise colour on a
 * terminal whose TERM is not `dumb`.
 *
 * Width, for wrapping help: the terminal's columns, else COLUMNS, else 80.
 *
 * Text from elsewhere (a store's or a token's strings, an audit log, an error message) never reaches the
 * terminal raw: `terminalSafe` escapes the control and bidi characters a terminal acts on (C0 with ESC, C1
 * with CSI, bidi overrides and isolates: the set of core's control-characters.ts). Notes, warnings, errors and
 * JSON go through it here; a command that puts such text into `line`, `table` or `fields` (which carry this
 * file's own colour codes) passes each value through `terminalSafe` first.
 */
import { stripVTControlCharacters } from 'node:util';
import type { Env } from '@phlow/keys-core';

/**
 * Core's CONTROL_CHARACTERS, spelled here because this file is loaded before core (`--help` and `--version`
 * must not load it: test/startup.test.ts); test/audit-sink.test.ts fails if the two ever differ.
 */
export const TERMINAL_UNSAFE: RegExp =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const TERMINAL_UNSAFE_BUT_LINES = new RegExp(`(?![\\n\\t])${TERMINAL_UNSAFE.source}`, 'g');
const asEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `text` with its control and bidi characters shown as `\uXXXX`, so printing it does only what it says.
 * `keepLines` leaves newlines and tabs (a multi-line message); a table cell or a one-line value escapes them.
 */
export function terminalSafe(text: string, keepLines = false): string {
  return text.replace(keepLines ? TERMINAL_UNSAFE_BUT_LINES : TERMINAL_UNSAFE, asEscape);
}

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

export function colourEnabled(stream: Stream, env: Env): boolean {
  const force = env.FORCE_COLOR?.trim().toLowerCase();
  if (force === '0' || force === 'false') return false;
  if (force) return true;
  if (env.NO_COLOR) return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Columns available on `stream`: between 40 and 200, whatever a terminal or COLUMNS claims. */
export function columnsOf(stream: Stream, env: Env): number {
  const fromEnv = Number(env.COLUMNS);
  const columns =
    stream.isTTY && stream.columns ? stream.columns : Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80;
  return Math.min(200, Math.max(40, columns));
}

function painter(stream: Stream, env: Env): Paint {
  const enabled = colourEnabled(stream, env);
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
  /** Columns of stdout, for wrapping help text. */
  readonly columns: number;

  constructor(options: { json: boolean; stdout: Stream; stderr: Stream; env: Env }) {
    this.json = options.json;
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.paint = painter(options.stdout, options.env);
    this.paintErr = painter(options.stderr, options.env);
    this.columns = columnsOf(options.stdout, options.env);
  }

  /** A line of the result (stdout). */
  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /**
   * The result as JSON (stdout), two-space indented, one trailing newline. C1, bidi and line-separator
   * characters inside strings are written as `\uXXXX` (JSON.stringify escapes only C0): the same JSON value,
   * harmless on a terminal.
   */
  data(value: unknown): void {
    this.stdout.write(`${terminalSafe(JSON.stringify(value, null, 2), true)}\n`);
  }

  /** A note for the human at the terminal (stderr): next steps, what was skipped. */
  note(text: string): void {
    this.stderr.write(`${terminalSafe(text, true)}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.paintErr('yellow', 'warning:')} ${terminalSafe(text, true)}\n`);
  }

  error(text: string): void {
    this.stderr.write(`${this.paintErr('red', 'error:')} ${terminalSafe(text, true)}\n`);
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
