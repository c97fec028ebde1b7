/**
 * `phlow-keys http sign|verify`. Sign: the request is signed through the session's KeyManager (the one
 * signing seam, so a signer store's key never leaves it) and the headers are printed, or the request is sent
 * with a deadline. Verify: exit 0 and what verified, 1 with the refusal's code; nothing of the request's
 * headers or signature is echoed in errors (it may carry credentials).
 */
import { createRequestVerifier, isHttpSigError, signRequest } from '@phlow/keys-httpsig';
import { readBoundedInput } from '../../bounded-input.js';
import type { CommandContext } from '../../command.js';
import { stringValue, stringValues } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { printRefusal } from '../../refusal.js';
import { withSession } from '../../session.js';
import { UsageError } from '../../usage-error.js';
import { MAX_CAPTURED_BYTES, parseCaptured } from './captured.js';

const MAX_BODY_BYTES = 1024 * 1024;
const SEND_DEADLINE_MS = 30_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

export async function run(context: CommandContext): Promise<ExitCode> {
  const [sub, ...rest] = context.positionals;
  if (sub === 'sign') return sign(context, rest);
  if (sub === 'verify') return verify(context, rest);
  throw new UsageError('http needs a subcommand: http sign <id> <url> or http verify [<file>]', 'http');
}

/**
 * The request body: `--body` as its UTF-8 text, `--body-file` (or stdin, `-`) as the file's bytes exactly. A
 * file is never decoded: a binary body decoded as UTF-8 (and encoded again) would be other bytes than the
 * file's, so Content-Digest and what `--send` sends would not be the file.
 */
async function bodyOf(context: CommandContext): Promise<string | Uint8Array | undefined> {
  const text = stringValue(context.values, 'body');
  const file = stringValue(context.values, 'body-file');
  if (text !== undefined && file !== undefined)
    throw new UsageError('give --body or --body-file, not both', 'http');
  if (file === undefined) {
    if (text !== undefined && Buffer.byteLength(text) > MAX_BODY_BYTES) throw bodyTooLarge();
    return text;
  }
  if (file === '-' && context.stdin.isTTY)
    throw new UsageError('--body-file - reads the body from stdin: pipe it in, or give a file', 'http');
  // A regular file (a FIFO or device is refused, not waited on) or stdin, read to the bound and one byte more.
  const { bytes, over } = await readBoundedInput(context, file, MAX_BODY_BYTES);
  if (over) throw bodyTooLarge();
  return bytes;
}

const bodyTooLarge = () => new UsageError('the body is over 1 MiB', 'http');

async function sign(context: CommandContext, args: readonly string[]): Promise<ExitCode> {
  const [keyId, target, ...extra] = args;
  if (!keyId || !target || extra.length > 0) throw new UsageError('usage: http sign <id> <url>', 'http');
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError('http sign: <url> must be an absolute http(s) URL', 'http');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError('http sign: <url> must be http(s)', 'http');
  const body = await bodyOf(context);
  const method = (
    stringValue(context.values, 'method') ?? (body !== undefined ? 'POST' : 'GET')
  ).toUpperCase();
  if ((method === 'GET' || method === 'HEAD') && body !== undefined)
    throw new UsageError(`a ${method} request has no body`, 'http');
  const headers = new Headers();
  for (const line of stringValues(context.values, 'header')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError('--header takes "name: value"', 'http');
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      throw new UsageError('--header has a name or value HTTP does not allow', 'http');
    }
  }
  const expiresIn = stringValue(context.values, 'expires-in');
  const agent = stringValue(context.values, 'agent');
  const { out } = context;
  return withSession(context, async ({ manager }) => {
    const signed = await signRequest(
      manager,
      keyId,
      new Request(url, { method, headers, ...(body !== undefined ? { body } : {}) }),
      {
        ...(agent !== undefined ? { agent } : {}),
        ...(expiresIn !== undefined ? { expiresInSeconds: Number(expiresIn) } : {}),
      },
    );
    const added = ['signature-agent', 'content-digest', 'signature-input', 'signature'].filter((n) =>
      signed.headers.has(n),
    );
    if (!context.values.send) {
      if (out.json) out.data(Object.fromEntries(added.map((n) => [n, signed.headers.get(n)])));
      else for (const n of added) out.line(`${n}: ${signed.headers.get(n)}`);
      return EXIT.OK;
    }
    const response = await fetch(signed, {
      redirect: 'manual',
      signal: AbortSignal.timeout(SEND_DEADLINE_MS),
    });
    const bytes = new Uint8Array(await response.arrayBuffer()).subarray(0, MAX_RESPONSE_BYTES);
    const text = new TextDecoder().decode(bytes);
    if (out.json) out.data({ status: response.status, body: text });
    else {
      out.line(`HTTP ${response.status}`);
      out.line(text);
    }
    return response.ok ? EXIT.OK : EXIT.FAILURE;
  });
}

async function readInput(context: CommandContext, file: string | undefined): Promise<Uint8Array> {
  const source = file ?? '-';
  if (source === '-' && context.stdin.isTTY)
    throw new UsageError('http verify needs a captured request: a file or stdin', 'http');
  const { bytes, over } = await readBoundedInput(context, source, MAX_CAPTURED_BYTES);
  if (over) throw new UsageError('http verify: the captured request is over 1 MiB + 64 KiB', 'http');
  return bytes;
}

async function verify(context: CommandContext, args: readonly string[]): Promise<ExitCode> {
  if (args.length > 1) throw new UsageError('usage: http verify [<file> | -]', 'http');
  const key = stringValue(context.values, 'key');
  const origins = stringValues(context.values, 'allow-origin');
  if ((key === undefined) === (origins.length === 0)) {
    throw new UsageError(
      'http verify needs --key <id> (a local key) or --allow-origin <origin> (a directory), one of them',
      'http',
    );
  }
  const scheme = stringValue(context.values, 'scheme') ?? 'https';
  if (scheme !== 'https' && scheme !== 'http') throw new UsageError('--scheme is https or http', 'http');
  const request = parseCaptured(await readInput(context, args[0]), scheme);
  const { out } = context;
  const check = async (verifier: ReturnType<typeof createRequestVerifier>) => {
    try {
      const result = await verifier.verify(request);
      out.data(out.json ? { valid: true, ...result } : result);
      return EXIT.OK;
    } catch (error) {
      if (!isHttpSigError(error)) throw error;
      return printRefusal(out, error);
    } finally {
      verifier.close();
    }
  };
  if (key === undefined) {
    return check(
      createRequestVerifier({
        directory: {
          allowedOrigins: origins,
          allowInsecureLoopback: context.values['allow-insecure-loopback'] === true,
          allowPrivateAddresses: context.values['allow-insecure-loopback'] === true,
          backgroundRefresh: false,
        },
      }),
    );
  }
  return withSession(context, async ({ manager }) =>
    check(createRequestVerifier({ keys: { manager, keyId: key } })),
  );
}
