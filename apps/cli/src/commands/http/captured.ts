/**
 * A captured HTTP/1.1 request as text (what `curl -v`, a proxy log or `nc -l` shows): request line, header
 * lines, a blank line, the body. Bounded: at most 1 MiB + 64 KiB of input, 200 header lines. The target's
 * authority comes from the Host header; the scheme from the caller (https by default). Only the head is read
 * as text: the body is kept as the bytes that follow the blank line, since a body that is not UTF-8, decoded
 * as UTF-8, would be other bytes than were signed (DIGEST_MISMATCH for a request that is intact).
 */
import { UsageError } from '../../usage-error.js';

export const MAX_CAPTURED_BYTES = 1024 * 1024 + 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/** Where the blank line after the head starts and where the body starts (`\r?\n\r?\n`), or undefined. */
function blankLine(input: Uint8Array): { end: number; body: number } | undefined {
  for (let i = input.indexOf(LF); i >= 0; i = input.indexOf(LF, i + 1)) {
    const next = input[i + 1] === CR ? i + 2 : i + 1;
    if (input[next] === LF) return { end: i > 0 && input[i - 1] === CR ? i - 1 : i, body: next + 1 };
  }
  return undefined;
}

export function parseCaptured(input: Uint8Array, scheme: string): Request {
  const split = blankLine(input);
  const head = Buffer.from(input.buffer, input.byteOffset, split?.end ?? input.length).toString('utf8');
  const body = split === undefined ? new Uint8Array(0) : input.subarray(split.body);
  const lines = head.split(/\r?\n/);
  const requestLine = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0]?.trim() ?? '');
  if (!requestLine) {
    throw new UsageError(
      'http verify: the input does not start with an HTTP/1.1 request line ("POST /path HTTP/1.1")',
      'http',
    );
  }
  if (lines.length > 201) throw new UsageError('http verify: the request has over 200 header lines', 'http');
  const headers = new Headers();
  for (const [index, line] of lines.slice(1).entries()) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError('http verify: a header line has no "name: value" form', 'http');
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      // Headers refuses a name or value HTTP does not allow (a space in a name, a NUL in a value) with a
      // TypeError that quotes it: the line is not echoed (a header can carry a credential), only its number.
      throw new UsageError(
        `http verify: header line ${index + 1} has a name or value that HTTP does not allow`,
        'http',
      );
    }
  }
  const [, method, target] = requestLine as unknown as [string, string, string];
  const host = headers.get('host');
  let url: URL;
  try {
    url = /^https?:\/\//.test(target) ? new URL(target) : new URL(target, `${scheme}://${host ?? ''}`);
  } catch {
    throw new UsageError('http verify: the request has no usable Host header or absolute target', 'http');
  }
  try {
    return new Request(url, {
      method,
      headers,
      ...(body.length > 0 && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
    });
  } catch {
    // A method the Fetch API forbids (CONNECT, TRACE, TRACK).
    throw new UsageError(
      'http verify: the request method cannot be verified here (the Fetch API forbids CONNECT, TRACE and TRACK)',
      'http',
    );
  }
}
