/**
 * The one HTTP validator rule of the served documents (the JWKS handler here, keys-a2a's agent card,
 * keys-httpsig's key directory): the ETag of a prepared body and the If-None-Match test.
 */
import { createHash } from 'node:crypto';

/** A strong ETag of `body`: 27 base64url characters of its SHA-256 (162 bits), quoted. */
export function etagOf(body: string | Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** The opaque-tag of an entity-tag (`"x"` or `W/"x"`), without its weakness indicator. */
const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);

/**
 * True if an If-None-Match field value matches the current representation's `etag` (RFC 9110 section 13.1.2):
 * `*` matches any, else a comma-separated list of entity-tags compared with the weak comparison (section
 * 8.8.3.2: equal opaque-tags, either or both may be marked weak with `W/`). A GET or HEAD that matches is
 * answered 304. An entity-tag may contain commas inside its quotes, so the list is read tag by tag; a value
 * that is not a list of entity-tags matches nothing (the full response is sent).
 */
export function matchesIfNoneMatch(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const want = opaque(etag);
  let i = 0;
  while (i < header.length) {
    const c = header[i];
    if (c === ' ' || c === '\t' || c === ',') {
      i++;
      continue;
    }
    const start = i;
    if (header.startsWith('W/', i)) i += 2;
    if (header[i] !== '"') return false;
    const close = header.indexOf('"', i + 1);
    if (close < 0) return false;
    i = close + 1;
    if (opaque(header.slice(start, i)) === want) return true;
  }
  return false;
}
