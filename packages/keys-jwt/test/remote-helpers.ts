// Fixtures of the remote key set tests: real loopback HTTP(S) servers whose handler the test swaps and whose
// requests are counted at the server, and JWK Sets of fresh keys.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwkThumbprint } from '@phlow/keys-core';
import { afterEach } from 'vitest';
import { isRemoteKeySetError, type RemoteKeySetError } from '../src/index.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  readonly port: number;
  readonly url: (path?: string) => string;
  /** Requests received, by path. */
  readonly counts: Map<string, number>;
  count(path?: string): number;
  /** If-None-Match headers received, in order. */
  readonly revalidations: string[];
  handler: Handler;
  close(): Promise<void>;
}

export async function startServer(
  handler: Handler,
  tls?: { key: string; cert: string },
  host = 'localhost',
): Promise<TestServer> {
  const counts = new Map<string, number>();
  const revalidations: string[] = [];
  const state = { handler };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const inm = req.headers['if-none-match'];
    if (typeof inm === 'string') revalidations.push(inm);
    state.handler(req, res);
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const scheme = tls ? 'https' : 'http';
  return {
    port,
    url: (path = '/jwks') => `${scheme}://${host === 'localhost' ? '127.0.0.1' : host}:${port}${path}`,
    counts,
    count: (path = '/jwks') => counts.get(path) ?? 0,
    revalidations,
    get handler() {
      return state.handler;
    },
    set handler(h: Handler) {
      state.handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/**
 * `startServer` for a test file: registers an afterEach that closes every server the test started, so a
 * failing test leaves no listener behind.
 */
export function serversClosedAfterEach(): (...args: Parameters<typeof startServer>) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (...args) => {
    const server = await startServer(...args);
    servers.push(server);
    return server;
  };
}

/** The RemoteKeySetError `promise` rejects with; any other error is rethrown, a resolution fails the test. */
export async function failure(promise: Promise<unknown>): Promise<RemoteKeySetError> {
  try {
    await promise;
  } catch (error) {
    if (isRemoteKeySetError(error)) return error;
    throw error;
  }
  throw new Error('expected a RemoteKeySetError');
}

/** The option that lets a set fetch from the loopback test servers over http. */
export const loopback = { allowInsecureLoopback: true } as const;

export interface TestKey {
  readonly kid: string;
  readonly publicJwk: JsonWebKey;
  readonly privateJwk: JsonWebKey;
  readonly privateKey: KeyObject;
}

export function newKey(type: 'ed25519' | 'ec' | 'rsa' = 'ed25519', bits = 2048): TestKey {
  const { publicKey, privateKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: bits })
        : generateKeyPairSync('ed25519');
  const publicJwk = publicKey.export({ format: 'jwk' });
  const kid = jwkThumbprint(publicJwk);
  return {
    kid,
    publicJwk: { ...publicJwk, kid },
    privateJwk: privateKey.export({ format: 'jwk' }),
    privateKey,
  };
}

/** A handler serving `body()` as a JWK Set with the given headers. */
export function jwks(
  body: () => unknown,
  headers: Record<string, string> = {},
  type = 'application/jwk-set+json',
): Handler {
  return (req, res) => {
    const etag = headers.etag;
    if (etag && req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag, ...headers });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': type, ...headers });
    res.end(JSON.stringify(body()));
  };
}

/** A self-signed certificate for `name` (openssl), as PEMs. */
export function selfSigned(name: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'phlow-remote-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
        '-addext',
        `subjectAltName=DNS:${name}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
