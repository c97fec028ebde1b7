/**
 * The strict card parser: the same values as JSON.parse on RFC 8259 text, and a refusal (with its code) for
 * what JSON.parse lets through or what RFC 8259 does not allow.
 */
import { describe, expect, it } from 'vitest';
import { isAgentCardError, parseAgentCardJson } from '../src/index.js';

const code = (text: string | Uint8Array) => {
  try {
    parseAgentCardJson(text);
    return 'ok';
  } catch (error) {
    if (!isAgentCardError(error)) throw error;
    return error.code;
  }
};

describe('parseAgentCardJson', () => {
  it('reads what JSON.parse reads, value for value', () => {
    for (const text of [
      '{}',
      '[]',
      ' { "a" : [ 1 , -0 , 0.5 , 1E+2 , -1.5e-7 , true , false , null ] } ',
      '"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/"',
      '{"__proto__": {"x": 1}, "constructor": 2}',
      '{"a":{"b":{"c":[[],{}]}}}',
      '12345678901234567890',
      '"€ literal and 😀"',
    ]) {
      const ours = parseAgentCardJson(text);
      expect(ours).toEqual(JSON.parse(text));
      expect(JSON.stringify(ours)).toBe(JSON.stringify(JSON.parse(text)));
    }
    const proto = parseAgentCardJson('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses what RFC 8259 does not allow (MALFORMED)', () => {
    for (const text of [
      '',
      '{',
      '{"a":1,}',
      '[1,]',
      '01',
      '1.',
      '.5',
      '+1',
      'NaN',
      'Infinity',
      "{'a':1}",
      '{"a" 1}',
      '"tab\there"',
      '"\\x41"',
      '"\\u12"',
      '{"a":1} x',
      'tru',
      '\ufeff{}',
    ]) {
      expect(code(text), text).toBe('MALFORMED');
    }
    expect(code(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))).toBe('MALFORMED');
  });

  it('refuses what JSON.parse accepts but a signed card must not hold', () => {
    expect(code('{"a":1,"a":2}')).toBe('DUPLICATE_KEY');
    expect(code('{"a":{"b":1,"b":1}}')).toBe('DUPLICATE_KEY');
    expect(code('{"\\u0061":1,"a":2}')).toBe('DUPLICATE_KEY');
    expect(code('"\\ud800"')).toBe('NOT_CANONICAL');
    expect(code('{"\\udc00":1}')).toBe('NOT_CANONICAL');
    expect(code('1e400')).toBe('NOT_CANONICAL');
    expect(code('-1e400')).toBe('NOT_CANONICAL');
    expect(code(`${'['.repeat(65)}${']'.repeat(65)}`)).toBe('TOO_LARGE');
    expect(code(`${'['.repeat(64)}${']'.repeat(64)}`)).toBe('ok');
    expect(code(`"${'x'.repeat(256 * 1024)}"`)).toBe('TOO_LARGE');
    expect(() => parseAgentCardJson('"ab"', { maxBytes: 3 })).toThrow(/over 3 bytes/);
    expect(code(`"${'€'.repeat(100_000)}"`)).toBe('TOO_LARGE'); // 300,002 bytes of UTF-8 in 100,002 characters
  });
});
