/**
 * Our RFC 8785 against an independent implementation in another language (PyPI rfc8785) over a generated
 * corpus of cards (Unicode, numbers, nesting, key order), and against the RFC's own example.
 */
import { describe, expect, it } from 'vitest';
import { canonicalize, parseAgentCardJson } from '../src/index.js';
import { python } from './python.js';

/** A small seeded PRNG (mulberry32), so a failing corpus can be reproduced. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Strings that stress escaping and UTF-16 order: controls, quotes, the RFC's sort example, astral characters.
const PIECES = [
  'a',
  'Z',
  '_',
  ' ',
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\b',
  '\f',
  '\n',
  '\r',
  '\t',
  '"',
  '\\',
  '/',
  '\u00e9',
  'e\u0301',
  '\u20ac',
  '\u2028',
  '\u2029',
  '\ufb33',
  '\ud83d\ude00',
  '\ud834\udd1e',
  '\u4e2d\u6587',
  '\u0410',
  '\ufeff',
  '\uffff',
  '<',
  '>',
  '&',
  "'",
];
const SPECIAL_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.1,
  1e21,
  1e-7,
  1e-6,
  999999999999999900000,
  5e-324,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  2 ** 53,
  2 ** 53 + 2,
  333333333.3333333,
  4.5,
  0.002,
  1e-27,
  1e30,
  123456789012345680000,
];

function generator(seed: number) {
  const r = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const text = () => Array.from({ length: Math.floor(r() * 6) }, () => pick(PIECES)).join('');
  const number = () => {
    const kind = r();
    if (kind < 0.3) return pick(SPECIAL_NUMBERS);
    if (kind < 0.6) return Math.floor((r() - 0.5) * 2 ** 40);
    // Any finite double, from random bits.
    for (;;) {
      const bytes = new Uint8Array(8).map(() => Math.floor(r() * 256));
      const value = new DataView(bytes.buffer).getFloat64(0);
      if (Number.isFinite(value)) return value;
    }
  };
  const value = (depth: number): unknown => {
    const kind = r();
    if (depth > 4 || kind < 0.3) return text();
    if (kind < 0.5) return number();
    if (kind < 0.55) return pick([true, false, null]);
    if (kind < 0.75) return Array.from({ length: Math.floor(r() * 4) }, () => value(depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = Math.floor(r() * 6); i > 0; i--) object[text()] = value(depth + 1);
    return object;
  };
  return () => ({
    name: text(),
    description: text(),
    version: String(number()),
    capabilities: { streaming: r() < 0.5, extensions: [{ uri: text(), params: value(1) }] },
    skills: Array.from({ length: Math.floor(r() * 3) }, () => ({ id: text(), name: text(), tags: [text()] })),
    metadata: value(0),
  });
}

describe('RFC 8785', () => {
  it("writes the RFC's example (section 3.2.2) byte for byte", () => {
    const input =
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}';
    expect(canonicalize(parseAgentCardJson(input))).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts member names by UTF-16 code units (RFC 8785 3.2.3 example)', () => {
    const names = ['\u20ac', '\r', '\ufb33', '1', '\ud83d\ude00', '\u0080', '\u00f6'];
    const text = canonicalize(Object.fromEntries(names.map((n, i) => [n, i])));
    // Read the names in the order written (JSON.parse would put the integer-like "1" first).
    const order = [...text.matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) =>
      (JSON.parse(`"${m[1]}"`) as string).codePointAt(0)!.toString(16),
    );
    expect(order).toEqual(['d', '31', '80', 'f6', '20ac', '1f600', 'fb33']);
  });

  it('agrees with PyPI rfc8785 on a generated corpus of 600 cards', async () => {
    const next = generator(20_261_207);
    const cards = Array.from({ length: 600 }, next);
    const ours = cards.map((card) => canonicalize(card));
    const { canonical } = (await python('jcs', { values: cards.map((card) => JSON.stringify(card)) })) as {
      canonical: (string | null)[];
    };
    let differing = 0;
    for (let i = 0; i < cards.length; i++) if (canonical[i] !== ours[i]) differing++;
    expect(canonical.filter((c) => c === null)).toHaveLength(0);
    expect(differing).toBe(0);
    // The corpus covers what it claims to.
    const all = ours.join('');
    for (const needle of ['\\u0000', '\\u001f', '\u2028', '\ud83d\ude00', 'e+', 'e-', '\\"', '\\\\']) {
      expect(all).toContain(needle);
    }
  });
});
