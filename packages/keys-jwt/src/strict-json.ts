/**
 * JSON.parse that refuses duplicate member names and deep nesting. JSON.parse keeps the last of two equal
 * names, while other parsers keep the first: a JWK Set with `"keys"` twice, or a JWK with `"x"` twice, could
 * then mean one key to us and another to a proxy, a log or a second verifier. RFC 7159 leaves it open; RFC
 * 7515 and the A2A card rules refuse it, and so do we. Names are compared after unescaping (`"\u0078"` is `"x"`).
 *
 * One pass over the text before JSON.parse, which then checks the syntax: the scan needs only to be right for
 * text JSON.parse accepts, and gives up (returns a reason) on anything else.
 */

/** Deepest nesting of objects and arrays accepted; a JWK Set needs 3. */
export const MAX_JSON_DEPTH = 16;

/** The parsed value, or a reason (never quoting the text) why it is refused. */
export function parseStrictJson(text: string): { value: unknown } | { refused: string } {
  const refused = scan(text);
  if (refused) return { refused };
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { refused: 'the body is not JSON' };
  }
}

interface Frame {
  readonly object: boolean;
  readonly names: Set<string>;
  expectName: boolean;
}

function scan(text: string): string | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      if (stack.length >= MAX_JSON_DEPTH) return `the body nests deeper than ${MAX_JSON_DEPTH} levels`;
      stack.push({ object: c === '{', names: new Set(), expectName: c === '{' });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.object) top.expectName = true;
    } else if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (end >= text.length) return 'the body is not JSON';
      const top = stack[stack.length - 1];
      if (top?.object && top.expectName) {
        let name: string;
        try {
          name = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          return 'the body is not JSON';
        }
        if (top.names.has(name)) return 'an object in the body has the same member name twice';
        top.names.add(name);
        top.expectName = false;
      }
      i = end;
    }
  }
  return undefined;
}
