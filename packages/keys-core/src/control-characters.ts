/**
 * The characters a terminal, a pager or an editor acts on instead of showing, written once for the audit log
 * and for the CLI: C0 controls (ESC starts a terminal command), DEL, C1 controls (U+009B is a one-character
 * CSI), the line and paragraph separators, and the invisible bidi formatting characters that reorder what a
 * reader sees ("Trojan Source", CVE-2021-42574): ALM, LRM, RLM, LRE/RLE/PDF/LRO/RLO (U+202A-202E) and
 * LRI/RLI/FSI/PDI (U+2066-2069).
 *
 * They are escaped, not removed, wherever a value is kept (an audit line parses back to the same string), and
 * removed from a caller identity, which has no business holding them.
 */

const RANGES =
  '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';

/** Matches one control or bidi character (global: use with `replace`, not `test`). */
export const CONTROL_CHARACTERS: RegExp = new RegExp(`[${RANGES}]`, 'g');

/** The same set without newline and tab, for text that is meant to span lines. */
const CONTROL_BUT_LINES = new RegExp(`(?![\\n\\t])[${RANGES}]`, 'g');

const asEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `text` with each control or bidi character written as `\uXXXX`, so it shows as what it is and does
 * nothing. `keepLines` leaves newlines and tabs alone (a multi-line message).
 */
export function escapeControlCharacters(text: string, keepLines = false): string {
  return text.replace(keepLines ? CONTROL_BUT_LINES : CONTROL_CHARACTERS, asEscape);
}

/** `text` without any control or bidi character. */
export function removeControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '');
}
