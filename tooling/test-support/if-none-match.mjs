// The If-None-Match check every cached document handler of this repository shares (the JWK Set, the Agent Card,
// the key directory): each answers by keys-jwt's one rule (matchesIfNoneMatch), so each is tested by the same
// requests: its own tag, weak or in a list, and `*` get a 304; another tag, weak or not, and the bare tag
// without quotes get the document.
import { expect } from 'vitest';

/** Asserts the rule on a fetch-style `handler` serving `url`; resolves with the document's ETag. */
export async function expectIfNoneMatchRule(handler, url) {
  const etag = (await handler(new Request(url))).headers.get('etag');
  expect(etag).toMatch(/^"[^"]+"$/);
  const get = (header) => handler(new Request(url, { headers: { 'if-none-match': header } }));
  for (const header of [etag, `W/${etag}`, `"x", W/${etag}`, '*']) {
    expect((await get(header)).status, header).toBe(304);
  }
  for (const header of ['"x"', 'W/"x"', etag.slice(1, -1)]) {
    expect((await get(header)).status, header).toBe(200);
  }
  return etag;
}
