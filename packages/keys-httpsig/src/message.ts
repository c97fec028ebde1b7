/**
 * The view of an HTTP message that signing and verifying read: method, target URI, header lookup and the body
 * bytes. A fetch `Request` and a Node request (options or IncomingMessage) are both turned into this, so the
 * signature base is built by one function whatever the framework.
 */
import { HttpSigError } from './errors.js';

export interface HttpMessage {
  readonly method: string;
  readonly url: URL;
  /** Every line of the header, combined with ", " (as fetch's Headers.get does); undefined if absent. */
  header(name: string): string | undefined;
  /**
   * The body, when the caller read it (undefined: no body, or not read). A covered `content-digest` is checked
   * against it, undefined counting as empty: give the body whenever the request has one.
   */
  readonly body?: Uint8Array | undefined;
}

/** Default bound of a body read to check `Content-Digest`: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** `maxBytes` if it is a whole number of bytes, else INVALID_ARGUMENT: a NaN bound would turn the bound off. */
export function checkedMaxBodyBytes(maxBytes: number): number {
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new HttpSigError('INVALID_ARGUMENT', 'maxBodyBytes must be a whole number >= 0');
  }
  return maxBytes;
}

/** Reads at most `maxBytes` of a stream, refusing (MALFORMED) anything longer without reading it all. */
export async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  checkedMaxBodyBytes(maxBytes);
  if (!body) return undefined;
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new HttpSigError('MALFORMED', `the body is over ${maxBytes} bytes (maxBodyBytes)`);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** The message view of a fetch Request; its body is read (bounded) from a clone, so the Request stays usable. */
export async function messageOfRequest(
  request: Request,
  maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
): Promise<HttpMessage> {
  const body = request.body ? await readBounded(request.clone().body, maxBodyBytes) : undefined;
  return {
    method: request.method,
    url: new URL(request.url),
    header: (name) => request.headers.get(name) ?? undefined,
    body,
  };
}

/** Headers given as a plain object (Node's OutgoingHttpHeaders / IncomingHttpHeaders shape). */
export type HeaderRecord = Readonly<Record<string, string | number | readonly string[] | undefined>>;

/** A message view over a header record, names matched case-insensitively. */
export function messageOf(method: string, url: URL, headers: HeaderRecord, body?: Uint8Array): HttpMessage {
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    const key = name.toLowerCase();
    const prev = lower.get(key);
    lower.set(key, prev === undefined ? text : `${prev}, ${text}`);
  }
  return { method: method.toUpperCase(), url, header: (name) => lower.get(name.toLowerCase()), body };
}
