/**
 * A captured HTTP/1.1 request as text (what `curl -v`, a proxy log or `nc -l` shows): request line, header
 * lines, a blank line, the body. Bounded: at most 1 MiB + 64 KiB of input, 200 header lines. The target's
 * authority comes from the Host header; the scheme from the caller (https by default).
 */
import { UsageError } from '../../usage-error.js';

export const MAX_CAPTURED_BYTES = 1024 * 1024 + 64 * 1024;

export function parseCaptured(text: string, scheme: string): Request {
  const split = text.search(/\r?\n\r?\n/);
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split).replace(/^\r?\n\r?\n/, '');
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
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError('http verify: a header line has no "name: value" form', 'http');
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const [, method, target] = requestLine as unknown as [string, string, string];
  const host = headers.get('host');
  let url: URL;
  try {
    url = /^https?:\/\//.test(target) ? new URL(target) : new URL(target, `${scheme}://${host ?? ''}`);
  } catch {
    throw new UsageError('http verify: the request has no usable Host header or absolute target', 'http');
  }
  return new Request(url, {
    method,
    headers,
    ...(body && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
  });
}
