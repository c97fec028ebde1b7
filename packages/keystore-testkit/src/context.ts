/**
 * What the conformance groups share: the suite's options, the context each group receives, and the assertion
 * every group uses for expected failures. The runner (conformance.ts) and the groups import this file; no
 * group imports the runner.
 */
import { isKeyStoreError, type KeyStore, type KeyStoreErrorCode } from '@phlow/keys-core';
import { expect, type TestContext } from 'vitest';
import type { PemPair } from './fixtures.js';
import { describeError } from './named-store.js';

export type ConformanceGroup =
  | 'reads'
  | 'keyIds'
  | 'writes'
  | 'concurrency'
  | 'versions'
  | 'rotation'
  | 'errors'
  | 'signer'
  | 'transport';

export interface ConformanceOptions<S extends KeyStore = KeyStore> {
  /** Shown in the suite's title. */
  readonly name: string;
  /** Creates the store under test; called once for the suite. */
  readonly create: () => S | Promise<S>;
  /** Called once after the suite, after the suite's own ids were deleted. */
  readonly cleanup?: (store: S) => void | Promise<void>;
  /**
   * Puts a pair where a read-only store reads it (for the env store: sets the variables). Writable stores
   * are seeded with `storeKeyPair` when this is not given.
   */
  readonly seed?: (store: S, keyId: string, pair: PemPair) => void | Promise<void>;
  /** Groups to skip, each with the reason shown in the report. */
  readonly skip?: Partial<Record<ConformanceGroup, string>>;
  /**
   * For a store that talks to a server: how to point one at a trickling endpoint and how to run it in a child
   * process under NODE_DEBUG. Without it the transport group's deadline and NODE_DEBUG tests report themselves
   * as skipped (its wrapper test always runs). See TransportOptions.
   */
  readonly transport?: TransportOptions<S>;
}

/** The transport group's option: what a network store gives so the suite can check its transport. */
export interface TransportOptions<S extends KeyStore = KeyStore> {
  /**
   * A store of the type under test whose every request goes to `endpointUrl` (an `http://127.0.0.1:<port>`
   * URL that answers 200 and then one byte a second, forever), with a total deadline of `timeoutMs` per call.
   */
  readonly createAgainst: (endpointUrl: string, options: { readonly timeoutMs: number }) => S | Promise<S>;
  /** The content type the real server answers with. Default: `application/json`. */
  readonly contentType?: string;
  /**
   * Text the deadline error's message must contain on reads and signs: the setting that changes the deadline.
   * (A write cut by the deadline may instead say that it may or may not have been applied.)
   */
  readonly deadlineSetting?: string;
  /** The NODE_DEBUG=http,net,tls check. */
  readonly nodeDebug: NodeDebugOptions;
}

export interface NodeDebugOptions {
  /**
   * A Node script (`.mjs`) that builds the store from its environment and calls
   * `exerciseStore(store, process.argv[2])` from `@phlow/keystore-testkit/transport` (it prints `done`).
   * The suite passes a fresh key id as the first argument, then `args`.
   */
  readonly child: string;
  /** Called once before the run: the child's other arguments, its environment, and what it must not print. */
  readonly prepare: () => NodeDebugRun | Promise<NodeDebugRun>;
}

export interface NodeDebugRun {
  readonly args?: readonly string[];
  /** Added to this process's environment (NODE_DEBUG is set by the suite). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Credentials the child uses (tokens, secret keys, session tokens): none may appear in its output. */
  readonly secrets: readonly string[];
  /** Patterns that must not appear either (a request signature, an `authorization` header). */
  readonly forbidden?: readonly RegExp[];
}

/** What every group receives: the store (after `create`) and helpers. */
export interface ConformanceContext<S extends KeyStore = KeyStore> {
  readonly store: () => S;
  /** The store, with failures of calls expected to succeed naming the call and the id (see named-store.ts). */
  readonly named: () => S;
  /** A fresh id, deleted after the suite. */
  readonly id: (label: string) => string;
  /** Puts a pair into the store by `seed` or `storeKeyPair`; skips the test (visibly) if neither can. */
  readonly put: (t: TestContext, keyId: string, pair: PemPair) => Promise<void>;
  /** Skips the test visibly unless the store declares the capability. */
  /** The options the suite was declared with. */
  readonly options: ConformanceOptions<S>;
  readonly requires: (
    t: TestContext,
    capability: 'write' | 'readPair' | 'list' | 'versions' | 'signer' | 'activation',
  ) => void;
}

/** Expects `promise` (the call `what`) to reject with a KeyStoreError of `code`; returns the error. */
export async function expectCode(
  what: string,
  promise: Promise<unknown>,
  code: KeyStoreErrorCode,
): Promise<unknown> {
  const outcome = await promise.then(
    () => ({ failed: false as const }),
    (error: unknown) => ({ failed: true as const, error }),
  );
  if (!outcome.failed) expect.fail(`${what} should fail with KeyStoreError ${code}, but it succeeded`);
  const { error } = outcome;
  if (!isKeyStoreError(error))
    expect.fail(`${what} should fail with KeyStoreError ${code}, but threw ${describeError(error)}`);
  expect(error.code, `${what} failed with ${describeError(error)} instead of ${code}`).toBe(code);
  return error;
}
