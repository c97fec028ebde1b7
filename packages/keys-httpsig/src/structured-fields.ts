/**
 * The part of RFC 8941 (structured field values) that message signatures need: dictionaries whose members
 * are items or inner lists, with parameters; items that are strings, tokens, integers, decimals, booleans or
 * byte sequences. Parsing is strict (anything else is MALFORMED) and reports duplicate dictionary keys, which
 * RFC 8941 would silently collapse but which a signature verifier must refuse (two `sig1` labels).
 * Serialization is canonical (RFC 8941 section 4.1), as the signature base requires.
 */
import { HttpSigError } from './errors.js';

export class Token {
  constructor(readonly value: string) {}
}
export type BareItem = string | number | boolean | Uint8Array | Token;
export type Params = Map<string, BareItem>;
export interface Item {
  readonly value: BareItem;
  readonly params: Params;
}
export interface InnerList {
  readonly items: Item[];
  readonly params: Params;
}
export type Member = Item | InnerList;

export const isInnerList = (m: Member): m is InnerList => Array.isArray((m as InnerList).items);

const malformed = (what: string) =>
  new HttpSigError('MALFORMED', `${what} is not a valid structured field (RFC 8941)`);

class Parser {
  i = 0;
  constructor(
    readonly s: string,
    readonly what: string,
  ) {}
  fail(): never {
    throw malformed(this.what);
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  ows(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.i++;
  }
  sp(): void {
    while (this.peek() === ' ') this.i++;
  }
  key(): string {
    const m = /^[a-z*][a-z0-9_\-.*]*/.exec(this.s.slice(this.i));
    if (!m) this.fail();
    this.i += m[0].length;
    return m[0];
  }
  bare(): BareItem {
    const c = this.peek();
    if (c === '"') return this.string();
    if (c === ':') return this.bytes();
    if (c === '?') {
      this.i++;
      const b = this.peek();
      if (b !== '0' && b !== '1') this.fail();
      this.i++;
      return b === '1';
    }
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    if (/[A-Za-z*]/.test(c)) {
      const m = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/.exec(this.s.slice(this.i));
      if (!m) this.fail();
      this.i += m[0].length;
      return new Token(m[0]);
    }
    return this.fail();
  }
  string(): string {
    this.i++;
    let out = '';
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) this.fail();
      if (c === '"') return out;
      if (c === '\\') {
        const n = this.s[this.i++];
        if (n !== '"' && n !== '\\') this.fail();
        out += n;
      } else {
        const code = c.charCodeAt(0);
        if (code < 0x20 || code > 0x7e) this.fail();
        out += c;
      }
    }
  }
  bytes(): Uint8Array {
    const end = this.s.indexOf(':', this.i + 1);
    if (end < 0) this.fail();
    const b64 = this.s.slice(this.i + 1, end);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) this.fail();
    this.i = end + 1;
    return new Uint8Array(Buffer.from(b64, 'base64'));
  }
  number(): number {
    const m = /^-?\d{1,15}(\.\d{1,3})?/.exec(this.s.slice(this.i));
    if (!m) this.fail();
    this.i += m[0].length;
    return Number(m[0]);
  }
  params(): Params {
    const params: Params = new Map();
    while (this.peek() === ';') {
      this.i++;
      this.sp();
      const k = this.key();
      let v: BareItem = true;
      if (this.peek() === '=') {
        this.i++;
        v = this.bare();
      }
      params.set(k, v);
    }
    return params;
  }
  item(): Item {
    const value = this.bare();
    return { value, params: this.params() };
  }
  member(): Member {
    if (this.peek() !== '(') return this.item();
    this.i++;
    const items: Item[] = [];
    for (;;) {
      this.sp();
      if (this.peek() === ')') {
        this.i++;
        return { items, params: this.params() };
      }
      items.push(this.item());
      const c = this.peek();
      if (c !== ' ' && c !== ')') this.fail();
    }
  }
}

/**
 * A dictionary; `onDuplicate` is told about a key seen twice (the later value wins, as RFC 8941 says, but a
 * verifier refuses). Bounded by `maxMembers`.
 */
export function parseDictionary(
  value: string,
  what: string,
  options: { maxMembers?: number; onDuplicate?: (key: string) => void } = {},
): Map<string, Member> {
  const p = new Parser(value.replace(/^[ \t]+|[ \t]+$/g, ''), what);
  const out = new Map<string, Member>();
  if (p.s === '') return out;
  for (;;) {
    const k = p.key();
    let m: Member;
    if (p.peek() === '=') {
      p.i++;
      m = p.member();
    } else {
      m = { value: true, params: p.params() };
    }
    if (out.has(k)) options.onDuplicate?.(k);
    out.set(k, m);
    if (out.size > (options.maxMembers ?? 64))
      throw new HttpSigError('MALFORMED', `${what} has too many members`);
    p.ows();
    if (p.i >= p.s.length) return out;
    if (p.peek() !== ',') p.fail();
    p.i++;
    p.ows();
    if (p.i >= p.s.length) p.fail();
  }
}

/** One item (a whole field value). */
export function parseItem(value: string, what: string): Item {
  const p = new Parser(value.replace(/^[ \t]+|[ \t]+$/g, ''), what);
  const item = p.item();
  if (p.i !== p.s.length) p.fail();
  return item;
}

export function serializeBare(v: BareItem): string {
  if (typeof v === 'string') {
    if (!/^[\x20-\x7e]*$/.test(v))
      throw new HttpSigError('INVALID_ARGUMENT', 'a string parameter must be printable ASCII');
    return `"${v.replace(/[\\"]/g, '\\$&')}"`;
  }
  if (typeof v === 'boolean') return v ? '?1' : '?0';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return String(Math.round(v * 1000) / 1000);
    return String(v);
  }
  if (v instanceof Token) return v.value;
  return `:${Buffer.from(v).toString('base64')}:`;
}

export function serializeParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) out += v === true ? `;${k}` : `;${k}=${serializeBare(v)}`;
  return out;
}

export function serializeItem(item: Item): string {
  return serializeBare(item.value) + serializeParams(item.params);
}

export function serializeInnerList(list: InnerList): string {
  return `(${list.items.map(serializeItem).join(' ')})${serializeParams(list.params)}`;
}

export function serializeMember(m: Member): string {
  return isInnerList(m) ? serializeInnerList(m) : serializeItem(m);
}

export function serializeDictionary(dict: Map<string, Member>): string {
  return [...dict]
    .map(([k, m]) =>
      !isInnerList(m) && m.value === true ? `${k}${serializeParams(m.params)}` : `${k}=${serializeMember(m)}`,
    )
    .join(', ');
}
