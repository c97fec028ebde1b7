// The one If-None-Match rule (RFC 9110 sections 13.1.2 and 8.8.3.2), used by the JWKS handler here, the A2A
// card handler and the httpsig key directory.
import { describe, expect, it } from 'vitest';
import { etagOf, matchesIfNoneMatch } from '../src/index.js';

describe('matchesIfNoneMatch', () => {
  const etag = etagOf('{"keys":[]}');

  it('etagOf is a quoted 27-character base64url SHA-256 prefix, the same for a string and its bytes', () => {
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect(etagOf(new TextEncoder().encode('{"keys":[]}'))).toBe(etag);
    expect(etagOf('{"keys":[1]}')).not.toBe(etag);
  });

  it.each([
    ['the tag', etag],
    ['the tag marked weak (weak comparison)', `W/${etag}`],
    ['a list naming it', `"x", W/"y",${etag}`],
    ['a list naming it weak, without spaces', `"x",W/${etag}`],
    ['*', '*'],
    ['* with spaces', ' * '],
    ['a tag with a comma inside its quotes, then the tag', `"a,b", ${etag}`],
  ])('matches %s', (_, header) => {
    expect(matchesIfNoneMatch(header, etag)).toBe(true);
  });

  it('a weak current ETag matches its strong form too (weak comparison either way)', () => {
    expect(matchesIfNoneMatch(etag, `W/${etag}`)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['null', null],
    ['an empty value', ''],
    ['another tag', '"x"'],
    ['another weak tag', 'W/"x"'],
    ['the tag without quotes', etag.slice(1, -1)],
    ['a prefix of the tag', `${etag.slice(0, -2)}"`],
    ['the tag inside a longer quoted tag', `"a${etag.slice(1)}`],
    ['a malformed list before the tag', `x, ${etag}`],
    ['an unclosed quote', `"${etag.slice(1, -1)}`],
    ['lower-case w/', `w/${etag}`],
  ])('does not match %s', (_, header) => {
    expect(matchesIfNoneMatch(header, etag)).toBe(false);
  });
});
