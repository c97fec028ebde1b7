/**
 * parseAgentCardJson: card text (RFC 8259 JSON) to a value, refusing what a signed card must not contain.
 *
 * `JSON.parse` keeps the last of two members with the same name; another parser (the Python SDK's, a
 * proxy's) may keep the first, so a signer and a verifier could each see a different card behind one
 * signature. Text with a duplicate name is therefore refused (DUPLICATE_KEY), as I-JSON (RFC 7493 2.3) says.
 * The same walk refuses lone surrogates written as `\uD800` escapes (NOT_CANONICAL), numbers beyond double
 * range (NOT_CANONICAL: `1e400` would become Infinity), nesting beyond MAX_DEPTH and text over `maxBytes`
 * (TOO_LARGE, checked before a byte is parsed). Members are defined as own data properties, so a
 * `"__proto__"` member is a member, never a prototype.
 */
import { AgentCardError } from './errors.js';
import { DEFAULT_MAX_CARD_BYTES, isWellFormed, MAX_DEPTH } from './jcs.js';

export interface ParseAgentCardOptions {
  /** Refuse text over this many bytes (TOO_LARGE) before parsing. Default: 256 KiB. */
  readonly maxBytes?: number;
}

const malformed = (at: number): never => {
  throw new AgentCardError('MALFORMED', `the card is not JSON (at character ${at}): send RFC 8259 JSON`);
};

const LITERALS = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** The card text as text: UTF-8 bytes must be well-formed (no BOM), and the size bound comes first. */
function toText(input: string | Uint8Array, maxBytes: number): string {
  const tooLarge = () =>
    new AgentCardError('TOO_LARGE', `the card is over ${maxBytes} bytes: nothing of it was parsed`);
  if (typeof input === 'string') {
    if (input.length > maxBytes || Buffer.byteLength(input, 'utf8') > maxBytes) throw tooLarge();
    return input;
  }
  if (!(input instanceof Uint8Array)) {
    throw new AgentCardError('INVALID_ARGUMENT', 'card text must be a string or a Uint8Array');
  }
  if (input.byteLength > maxBytes) throw tooLarge();
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch {
    throw new AgentCardError('MALFORMED', 'the card is not UTF-8: send UTF-8 JSON');
  }
}

/** Parses card text strictly (see the file comment). */
export function parseAgentCardJson(input: string | Uint8Array, options: ParseAgentCardOptions = {}): unknown {
  const text = toText(input, options.maxBytes ?? DEFAULT_MAX_CARD_BYTES);
  let i = 0;
  const ws = () => {
    for (
      let c = text.charCodeAt(i);
      c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
      c = text.charCodeAt(++i)
    );
  };
  const str = (): string => {
    // at the opening quote
    let out = '';
    let start = ++i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c) || c < 0x20) return malformed(i);
      if (c === 0x22) break;
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return malformed(i);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
      } else {
        const plain = e === undefined ? undefined : ESCAPES[e];
        if (plain === undefined) return malformed(i);
        out += plain;
        i += 2;
      }
      start = i;
    }
    out += text.slice(start, i);
    i++;
    if (!isWellFormed(out)) {
      throw new AgentCardError(
        'NOT_CANONICAL',
        `a string with a lone surrogate (before character ${i}) has no RFC 8785 form`,
      );
    }
    return out;
  };
  const value = (depth: number): unknown => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (depth >= MAX_DEPTH)
        throw new AgentCardError('TOO_LARGE', `the card nests deeper than ${MAX_DEPTH} levels`);
      i++;
      ws();
      if (c === '[') {
        const list: unknown[] = [];
        if (text[i] === ']') {
          i++;
          return list;
        }
        for (;;) {
          list.push(value(depth + 1));
          ws();
          if (text[i] === ',') i++;
          else if (text[i] === ']') {
            i++;
            return list;
          } else return malformed(i);
        }
      }
      const object: Record<string, unknown> = {};
      const names = new Set<string>();
      if (text[i] === '}') {
        i++;
        return object;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') return malformed(i);
        const name = str();
        if (names.has(name)) {
          throw new AgentCardError(
            'DUPLICATE_KEY',
            `an object of the card has the same member name twice (before character ${i}): send each member once`,
          );
        }
        names.add(name);
        ws();
        if (text[i] !== ':') return malformed(i);
        i++;
        Object.defineProperty(object, name, {
          value: value(depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return object;
        } else return malformed(i);
      }
    }
    if (c === '"') return str();
    for (const [word, literal] of LITERALS) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return literal;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) return malformed(i);
    i += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) {
      throw new AgentCardError(
        'NOT_CANONICAL',
        `a number beyond double range (before character ${i}) has no RFC 8785 form`,
      );
    }
    return n;
  };
  const result = value(0);
  ws();
  if (i !== text.length) malformed(i);
  return result;
}
