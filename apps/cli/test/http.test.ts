/**
 * `phlow-keys http sign|verify` through the built CLI on the encrypted file store: signed headers verify
 * through `http verify --key` and through the directory Signature-Agent names (served here from `phlow-keys
 * jwks`), a tampered capture is refused with its code (exit 1), `--send` runs the request, `--body-file` signs
 * and sends the file's bytes as they are (not UTF-8 included) and `http verify` reads a body so, and an origin
 * outside --allow-origin is refused without a single request to it.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRequestVerifier } from '@phlow/keys-httpsig';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, initProject, json } from './helpers.js';

let cwd: string;
beforeAll(async () => {
  cwd = await initProject();
  const generated = await cli(['generate', 'agent'], { cwd });
  expect(generated.code, generated.stderr).toBe(0);
});

/** A loopback server; records the requests it gets as captured HTTP/1.1 text. */
async function server(
  answer: (req: IncomingMessage, body: string) => { status: number; type?: string; body: string },
) {
  const captured: string[] = [];
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      captured.push(`${lines.join('\r\n')}\r\n\r\n${body}`);
      const a = answer(req, body);
      res.writeHead(a.status, { 'content-type': a.type ?? 'text/plain' }).end(a.body);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    captured,
    close: () => new Promise((r) => s.close(r)),
  };
}

function capture(
  method: string,
  path: string,
  host: string,
  headers: Record<string, string>,
  body = '',
): string {
  const lines = [
    `${method} ${path} HTTP/1.1`,
    `Host: ${host}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

describe('phlow-keys http', () => {
  let directory: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    const jwks = (await cli(['jwks'], { cwd })).stdout;
    directory = await server(() => ({
      status: 200,
      type: 'application/http-message-signatures-directory+json',
      body: jwks,
    }));
  });
  afterAll(() => directory.close());

  it('sign prints the headers; verify --key accepts the capture and refuses it tampered (exit 1, code)', async () => {
    const body = '{"qty":1}';
    const signed = json<Record<string, string>>(
      await cli(
        [
          'http',
          'sign',
          'agent',
          'https://api.example/orders',
          '--body',
          body,
          '--agent',
          'https://agent.example',
          '--json',
        ],
        { cwd },
      ),
    );
    expect(Object.keys(signed)).toEqual([
      'signature-agent',
      'content-digest',
      'signature-input',
      'signature',
    ]);
    const good = capture('POST', '/orders', 'api.example', signed, body);
    const ok = await cli(['http', 'verify', '--key', 'agent', '--json'], { cwd, input: good });
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok)).toMatchObject({ valid: true, alg: 'EdDSA', tag: 'web-bot-auth' });
    const moved = await cli(['http', 'verify', '--key', 'agent'], {
      cwd,
      input: capture('POST', '/orders', 'evil.example', signed, body),
    });
    expect(moved.code).toBe(1);
    expect(moved.stderr).toContain('(SIGNATURE_INVALID)');
    const changed = await cli(['http', 'verify', '-', '--key', 'agent'], {
      cwd,
      input: capture('POST', '/orders', 'api.example', signed, '{"qty":9}'),
    });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('(DIGEST_MISMATCH)');
    expect(changed.stderr).not.toContain(signed.signature!.slice(6, 30));
  });

  it('verify --allow-origin fetches the directory Signature-Agent names; another origin gets 0 requests', async () => {
    const signed = json<Record<string, string>>(
      await cli(['http', 'sign', 'agent', 'https://api.example/', '--agent', directory.origin, '--json'], {
        cwd,
      }),
    );
    const input = capture('GET', '/', 'api.example', signed);
    const ok = await cli(
      ['http', 'verify', '--allow-origin', directory.origin, '--allow-insecure-loopback', '--json'],
      { cwd, input },
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok)).toMatchObject({
      valid: true,
      directory: `${directory.origin}/.well-known/http-message-signatures-directory`,
    });
    const fetched = directory.captured.length;
    expect(fetched).toBeGreaterThan(0);
    const refused = await cli(
      ['http', 'verify', '--allow-origin', 'https://other.example', '--allow-insecure-loopback'],
      { cwd, input },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(AGENT_REFUSED)');
    expect(directory.captured.length).toBe(fetched);
  });

  it('sign --send runs the request; the server got a request that verifies', async () => {
    const api = await server(() => ({ status: 200, body: 'accepted' }));
    try {
      const sent = await cli(
        [
          'http',
          'sign',
          'agent',
          `${api.origin}/act`,
          '--method',
          'PUT',
          '--body',
          'x=1',
          '--header',
          'x-task: t1',
          '--send',
        ],
        { cwd },
      );
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.stdout).toContain('HTTP 200');
      expect(sent.stdout).toContain('accepted');
      expect(api.captured).toHaveLength(1);
      const ok = await cli(['http', 'verify', '--key', 'agent', '--scheme', 'http'], {
        cwd,
        input: api.captured[0],
      });
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      await api.close();
    }
  });

  it('sign --body-file signs the bytes of the file (or of stdin) exactly, invalid UTF-8 included; --send sends them', async () => {
    // Not UTF-8: 0xff and 0xfe never occur in it, 0x80 is a lone continuation byte. Decoded as UTF-8 they
    // would become U+FFFD (three other bytes each).
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x7b, 0xc3, 0x28, 0x0a]);
    const digest = `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`;
    const path = join(cwd, 'body.bin');
    writeFileSync(path, bytes);
    const signArgs = (file: string, url: string) => [
      'http',
      'sign',
      'agent',
      url,
      '--body-file',
      file,
      '--agent',
      directory.origin,
    ];
    const fromFile = await cli([...signArgs(path, 'https://api.example/upload'), '--json'], { cwd });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const signed = json<Record<string, string>>(fromFile);
    expect(signed['content-digest']).toBe(digest);
    const fromStdin = await cli([...signArgs('-', 'https://api.example/upload'), '--json'], {
      cwd,
      input: bytes,
    });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(json<Record<string, string>>(fromStdin)['content-digest']).toBe(digest);
    // http verify reads a captured body as bytes too: the capture with the file's bytes verifies.
    const head = Buffer.from(capture('POST', '/upload', 'api.example', signed));
    const verified = await cli(['http', 'verify', '--key', 'agent', '--json'], {
      cwd,
      input: Buffer.concat([head, bytes]),
    });
    expect(verified.code, verified.stderr).toBe(0);
    expect(json(verified)).toMatchObject({ valid: true });

    // keys-httpsig's verifier, given the request with the file's bytes, accepts it; with the bytes a UTF-8
    // round trip makes of them, it refuses the digest.
    const verifier = createRequestVerifier({
      directory: {
        allowedOrigins: [directory.origin],
        allowInsecureLoopback: true,
        allowPrivateAddresses: true,
        backgroundRefresh: false,
      },
    });
    const request = (url: string, headers: Record<string, string>, body: Uint8Array) =>
      new Request(url, { method: 'POST', headers, body });
    try {
      await expect(
        verifier.verify(request('https://api.example/upload', signed, bytes)),
      ).resolves.toMatchObject({
        tag: 'web-bot-auth',
      });
      const decoded = Buffer.from(bytes.toString('utf8'), 'utf8');
      expect(decoded.equals(bytes)).toBe(false);
      await expect(
        verifier.verify(request('https://api.example/upload', signed, decoded)),
      ).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });

      // --send: the server receives the file's bytes, under headers that verify over them.
      const received: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
      const api = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ headers: req.headers, body: Buffer.concat(chunks) });
          res.writeHead(200, { 'content-type': 'text/plain' }).end('stored');
        });
      });
      await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
      const origin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
      try {
        const sent = await cli([...signArgs(path, `${origin}/upload`), '--send'], { cwd });
        expect(sent.code, sent.stderr).toBe(0);
        expect(sent.stdout).toContain('HTTP 200');
        expect(received).toHaveLength(1);
        const [got] = received as [(typeof received)[number]];
        expect(got.body.equals(bytes)).toBe(true);
        expect(got.headers['content-digest']).toBe(digest);
        // A file is not assumed to be text: no Content-Type unless --header gives one.
        expect(got.headers['content-type']).toBeUndefined();
        const covered: Record<string, string> = {};
        for (const name of ['signature', 'signature-input', 'signature-agent', 'content-digest'])
          covered[name] = String(got.headers[name]);
        await expect(verifier.verify(request(`${origin}/upload`, covered, got.body))).resolves.toBeDefined();
      } finally {
        await new Promise((r) => api.close(r));
      }
    } finally {
      verifier.close();
    }
  });

  it('usage errors say what is missing', async () => {
    const none = await cli(['http'], { cwd });
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/http sign <id> <url> or http verify/);
    const both = await cli(['http', 'verify', '--key', 'a', '--allow-origin', 'https://x.example'], {
      cwd,
      input: '',
    });
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--key <id> .* or --allow-origin/);
  });

  it('a captured request that HTTP does not allow is a usage error (exit 2) that echoes no header', async () => {
    const badValue =
      'POST /x HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer s3cr3t\u0000tail\r\n\r\n';
    const value = await cli(['http', 'verify', '--key', 'agent'], { cwd, input: badValue });
    expect(value.code).toBe(2);
    expect(value.stderr).toContain('header line 2 has a name or value that HTTP does not allow');
    expect(value.stderr).not.toContain('s3cr3t');
    expect(value.stderr).not.toContain('TypeError');
    const badName = 'GET /x HTTP/1.1\r\nHost: api.example\r\nBad Name: v\r\n\r\n';
    const name = await cli(['http', 'verify', '--key', 'agent'], { cwd, input: badName });
    expect(name.code).toBe(2);
    expect(name.stderr).toContain('header line 2');
    const trace = await cli(['http', 'verify', '--key', 'agent'], {
      cwd,
      input: 'TRACE /x HTTP/1.1\r\nHost: api.example\r\n\r\n',
    });
    expect(trace.code).toBe(2);
    expect(trace.stderr).toContain('the request method cannot be verified here');
  });
});
