/**
 * The total deadline against a real loopback server that answers 200 and then trickles one byte a second:
 * no idle timeout catches it, the deadline does. Bounded by counts (bytes received, requests destroyed),
 * never by elapsed time.
 */
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQuietAgents, DEADLINE_CODE, startDeadline, withDeadline } from '../src/adapter/index.js';
import { KeyStoreError } from '../src/errors.js';

let server: Server;
let url: string;
const open = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
    res.write('{');
    open.add(res);
    const timer = setInterval(() => res.write(' '), 1000);
    res.on('close', () => {
      clearInterval(timer);
      open.delete(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const agents = createQuietAgents();

/** A GET through the quiet agent, resolving with the bytes of the whole body (never, against this server). */
function get(signal?: AbortSignal): Promise<number> & { received: () => number } {
  let received = 0;
  const promise = new Promise<number>((resolve, reject) => {
    const req = request(url, { agent: agents.http, ...(signal ? { signal } : {}) }, (res) => {
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      res.on('end', () => resolve(received));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  return Object.assign(promise, { received: () => received });
}

const late = () => new KeyStoreError('UNAVAILABLE', 'no answer within the deadline of 300 ms (PHLOW_X_MS)');

describe('adapter deadline', () => {
  it('startDeadline destroys the requests made through the quiet agents in its context (no signal passed)', async () => {
    const deadline = startDeadline(300);
    const call = deadline.run(() => get());
    const failure = await call.catch((e: NodeJS.ErrnoException) => e);
    deadline.clear();
    expect(deadline.expired).toBe(true);
    expect((failure as NodeJS.ErrnoException).code).toBe(DEADLINE_CODE);
    expect(deadline.signal.aborted).toBe(true);
  });

  it('withDeadline rejects with what() at the deadline, whatever the client makes of the abort', async () => {
    let call: ReturnType<typeof get> | undefined;
    const failure = await withDeadline(
      300,
      (signal) => {
        call = get(signal);
        return call;
      },
      late,
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(KeyStoreError);
    expect((failure as KeyStoreError).code).toBe('UNAVAILABLE');
    // The server sends '{' then one byte a second: far fewer than the 100 000 announced.
    expect(call?.received()).toBeLessThan(100);
    await expect(call).rejects.toBeDefined();
  });

  it('withDeadline rejects at the deadline even when `run` ignores the signal', async () => {
    const never = new Promise<never>(() => {});
    await expect(withDeadline(50, () => never, late)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('withDeadline passes results and earlier failures through unchanged', async () => {
    expect(await withDeadline(10_000, async () => 42, late)).toBe(42);
    const own = new KeyStoreError('NOT_FOUND', 'missing');
    await expect(withDeadline(10_000, async () => Promise.reject(own), late)).rejects.toBe(own);
  });

  it('a deadline longer than the longest Node timer (30 days) does not fire at once', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const deadline = startDeadline(30 * 86_400_000);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(deadline.expired).toBe(false);
      expect(deadline.signal.aborted).toBe(false);
      deadline.clear();
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('sleep ends early, with false, when the deadline passes', async () => {
    const deadline = startDeadline(50);
    expect(await deadline.sleep(60_000)).toBe(false);
    expect(await deadline.sleep(1)).toBe(false);
    deadline.clear();
    const roomy = startDeadline(60_000);
    expect(await roomy.sleep(1)).toBe(true);
    roomy.clear();
  });
});
