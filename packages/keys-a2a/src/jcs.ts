/**
 * RFC 8785 (JSON Canonicalization Scheme) of a JavaScript value, refusing what JCS does not define.
 *
 * JCS is I-JSON (RFC 7493) serialised with ECMAScript's own rules: numbers as `Number.prototype.toString`
 * writes them (RFC 8785 3.2.2.3 is that algorithm), strings as `JSON.stringify` escapes them (3.2.2.2: the
 * short escapes, `\u00xx` in lower case for the other controls, everything else literal), object members
 * sorted by the UTF-16 code units of their names (3.2.3: what `Array.prototype.sort` compares), no
 * whitespace. So the serialisation is small; what needs care is the input, and this file walks it once, both
 * checking and writing, so that what is checked is exactly what is signed.
 *
 * Why not the npm `canonicalize` package: it calls `toJSON` (a Date or a class instance signs as whatever its
 * method returns), silently drops `undefined` members, and writes a lone surrogate as an escape where I-JSON
 * (RFC 7493 2.1) and so JCS refuse the string; a check in front of it would walk the card a second time and
 * could drift from it. This walk is checked against PyPI `rfc8785` over a generated corpus
 * (test/jcs.test.ts) and against the RFC's own examples.
 *
 * Refused (AgentCardError NOT_CANONICAL): NaN and the infinities, strings with lone surrogates (also in member
 * names), `undefined`, functions, symbols, BigInts, objects that are not plain (Date, Map, class instances),
 * cycles. TOO_LARGE: more than `maxDepth` nested containers, or output over `maxBytes` UTF-8 bytes.
 */
import { AgentCardError } from './errors.js';

/** Largest card, as canonical UTF-8 or as received text, unless a caller says otherwise: 256 KiB. */
export const DEFAULT_MAX_CARD_BYTES = 256 * 1024;
/** Deepest nesting of arrays and objects accepted (the Python a2a-sdk's bound is 64 as well). */
export const MAX_DEPTH = 64;

export interface CanonicalizeOptions {
  /** Refuse output longer than this many UTF-8 bytes (TOO_LARGE). Default: 256 KiB. */
  readonly maxBytes?: number;
}

// Member names shown in errors: a card's own field names; anything else is not echoed.
const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// Node >= 20 has String.prototype.isWellFormed (ES2024); the TypeScript lib of this repo predates it.
const wellFormed = String.prototype as unknown as { isWellFormed(this: string): boolean };

/** False for a string holding a lone surrogate, which I-JSON and so RFC 8785 refuse. */
export function isWellFormed(text: string): boolean {
  return wellFormed.isWellFormed.call(text);
}

const refuse = (what: string, path: string): never => {
  throw new AgentCardError(
    'NOT_CANONICAL',
    `${what} at ${path} has no RFC 8785 form: send finite numbers, well-formed Unicode strings, plain objects and arrays only`,
  );
};

/** The RFC 8785 canonical form of `value`. */
export function canonicalize(value: unknown, options: CanonicalizeOptions = {}): string {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CARD_BYTES;
  const parts: string[] = [];
  // UTF-16 units written so far: a lower bound of the UTF-8 bytes, so a huge card stops early.
  let units = 0;
  const ancestors = new Set<object>();
  const push = (text: string) => {
    units += text.length;
    if (units > maxBytes) {
      throw new AgentCardError('TOO_LARGE', `the canonical card is over ${maxBytes} bytes: make it smaller`);
    }
    parts.push(text);
  };
  const string = (text: string, path: string) => {
    if (!isWellFormed(text)) refuse('a string with a lone surrogate', path);
    push(JSON.stringify(text));
  };
  const walk = (item: unknown, path: string, depth: number): void => {
    switch (typeof item) {
      case 'string':
        string(item, path);
        return;
      case 'number':
        if (!Number.isFinite(item)) refuse('a non-finite number', path);
        push(JSON.stringify(item)); // -0 is written "0", as RFC 8785 3.2.2.3 says
        return;
      case 'boolean':
        push(item ? 'true' : 'false');
        return;
      case 'object': {
        if (item === null) {
          push('null');
          return;
        }
        if (depth >= MAX_DEPTH) {
          throw new AgentCardError('TOO_LARGE', `the card nests deeper than ${MAX_DEPTH} levels`);
        }
        if (ancestors.has(item)) refuse('a cycle', path);
        ancestors.add(item);
        if (Array.isArray(item)) {
          push('[');
          for (let i = 0; i < item.length; i++) {
            if (i > 0) push(',');
            walk(item[i], `${path}[${i}]`, depth + 1);
          }
          push(']');
        } else {
          if (!isPlainObject(item)) refuse('an object that is not a plain object', path);
          push('{');
          // Default sort compares UTF-16 code units, which is RFC 8785 3.2.3's order.
          const names = Object.keys(item).sort();
          for (let i = 0; i < names.length; i++) {
            const name = names[i] as string;
            if (i > 0) push(',');
            string(name, path);
            push(':');
            walk(
              (item as Record<string, unknown>)[name],
              `${path}.${SAFE_NAME.test(name) ? name : '(member)'}`,
              depth + 1,
            );
          }
          push('}');
        }
        ancestors.delete(item);
        return;
      }
      default:
        refuse(`a ${typeof item} value`, path);
    }
  };
  walk(value, '$', 0);
  const text = parts.join('');
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new AgentCardError('TOO_LARGE', `the canonical card is over ${maxBytes} bytes: make it smaller`);
  }
  return text;
}
