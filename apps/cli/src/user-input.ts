/**
 * The one rule for quoting what the user typed: a value that could be key material (a PEM pasted where an id
 * or an option belonged, a master key, a raw seed) is described, never shown. Every message that quotes a
 * command-line value goes through describeUserInput, and reportError scrubs such values from any message
 * (core's and adapters' included) with scrubUserInput, so no path prints them by accident.
 */

/** Longer than any id, command, option or store type the CLI knows: nothing legitimate to show. */
const MAX_SHOWN = 128;

/**
 * PEM armour, a control character (a pasted multi-line value), a random-looking base64 run as long as a
 * 32-byte secret (letters of both cases and digits: ids and UUIDs are not like that), or 64 hex digits. A
 * standard-base64 key that happens to start with '/' is judged like a path, piece by piece: a known gap
 * (about 1 key in 64), accepted so that paths with random directory names stay quotable.
 */
export function looksLikeKeyMaterial(value: string): boolean {
  if (value.length > MAX_SHOWN) return true;
  if (/-----(BEGIN|END)|PRIVATE KEY/i.test(value)) return true;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for.
  if (/[\u0000-\u001f\u007f]/.test(value)) return true;
  if (/[0-9a-fA-F]{64}/.test(value)) return true;
  // Base64 has no '.', and a path (a store module, a key file) has its mkdtemp-style random names between
  // slashes: a path is judged segment by segment, anything else as a whole ('/' is a base64 character).
  const path = /^(\.{1,2}\/|\/|~\/|file:)/.test(value) || value.includes('.');
  const pieces = path ? value.split('/') : [value];
  return pieces.some((piece) =>
    (piece.match(/[A-Za-z0-9+/_=-]{40,}/g) ?? []).some(
      (run) => /[a-z]/.test(run) && /[A-Z]/.test(run) && /[0-9]/.test(run),
    ),
  );
}

/** `"value"` for a harmless value; a description that shows nothing of it otherwise. */
export function describeUserInput(value: string): string {
  if (!looksLikeKeyMaterial(value)) return JSON.stringify(value);
  const pem = /-----BEGIN/.test(value) ? ' that looks like a PEM key' : ' that may be key material';
  return `a ${value.length}-character value${pem} (not shown)`;
}

/** The pieces of `argv` that must not appear in output: such values, their `--opt=` parts and their lines. */
export function secretInputs(argv: readonly string[]): string[] {
  const found = new Set<string>();
  for (const arg of argv) {
    const equals = arg.startsWith('-') ? arg.indexOf('=') : -1;
    for (const value of equals === -1 ? [arg] : [arg, arg.slice(equals + 1)]) {
      if (!looksLikeKeyMaterial(value)) continue;
      found.add(value);
      // JSON.stringify and util.inspect escape newlines: the escaped form must go too.
      found.add(JSON.stringify(value).slice(1, -1));
      for (const line of value.split(/\r?\n/)) if (line.trim().length >= 16) found.add(line.trim());
    }
  }
  // Longest first, so a whole value is replaced before its lines are.
  return [...found].sort((a, b) => b.length - a.length);
}

/** `text` with every secret input replaced by a placeholder. */
export function scrubUserInput(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) scrubbed = scrubbed.split(secret).join('<value not shown>');
  return scrubbed;
}
