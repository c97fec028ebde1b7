/**
 * The transport group: what a store that talks to a server owes beyond its data, checked against a real
 * loopback server and a real child process, so that no network adapter can forget it.
 *
 * - A total deadline: against an endpoint that answers 200 and then one byte a second forever (which no idle
 *   timeout ever catches), every call ends UNAVAILABLE, and the store hangs up. Bounded by counts, not by
 *   time: the endpoint cuts a client still reading after 15 bytes (15 s) and the test counts that as a miss.
 * - NODE_DEBUG=http,net,tls prints no credential of the store (the child runs the store from its environment).
 * - A wrapped store keeps every capability: KeyManager over `withFaults(store)` and over the suite's named view
 *   signs and verifies, signer stores included (runs for every store, network or not).
 *
 * The first two need the suite's `transport` option (TransportOptions); without it they report themselves as
 * skipped, saying what to give.
 */
import { isKeyStoreError, KeyManager, type KeyStore } from '@phlow/keys-core';
import { KEYSTORE_METHODS } from '@phlow/keys-core/adapter';
import { expect, it, type TestContext } from 'vitest';
import type { ConformanceContext, TransportOptions } from './context.js';
import { withFaults } from './fault-injection.js';
import { ed25519Pair } from './fixtures.js';
import { describeError, label, named } from './named-store.js';
import { startTricklingEndpoint } from './transport/http.js';
import { runWithNodeDebug } from './transport/node-debug.js';

/** The deadline every store under test is given: two seconds, two bytes of trickle. */
const DEADLINE_MS = 2_000;
/** The endpoint cuts a client that is still reading after this many bytes (one a second) over all its answers. */
const MAX_TRICKLED_BYTES = 15;

function transportOf<S extends KeyStore>(c: ConformanceContext<S>, t: TestContext): TransportOptions<S> {
  const transport = c.options.transport;
  if (!transport) {
    t.skip(
      `${c.options.name} was given no \`transport\` option: a store that talks to a server must give one ` +
        '(createAgainst and nodeDebug), or skip the transport group with a reason',
    );
  }
  return transport as TransportOptions<S>;
}

export function transportTests<S extends KeyStore>(c: ConformanceContext<S>): void {
  it('a trickling endpoint is cut at the store deadline: every call UNAVAILABLE, every answer hung up on', async (t) => {
    const transport = transportOf(c, t);
    const endpoint = await startTricklingEndpoint(transport.contentType ?? 'application/json', {
      maxBytes: MAX_TRICKLED_BYTES,
    });
    const store = await transport.createAgainst(endpoint.address, { timeoutMs: DEADLINE_MS });
    try {
      const keyId = c.id('trickle');
      const pair = ed25519Pair();
      const data = new TextEncoder().encode('phlow deadline check');
      // [what, call, is a write]: a write cut by the deadline may say instead that it may or may not have been
      // applied (Vault reads it back), so only the other calls must name the deadline setting.
      const calls: [string, () => Promise<unknown>, boolean][] = store.capabilities.signer
        ? [
            [label('sign', keyId, '<data>'), () => store.sign!(keyId, data), false],
            [label('getPublicKeyVersions', keyId), () => store.getPublicKeyVersions!(keyId), false],
          ]
        : [
            [label('getPublicKey', keyId), () => store.getPublicKey(keyId), false],
            ...(store.capabilities.write
              ? ([
                  [
                    label('storeKeyPair', keyId, pair.privateKey, pair.publicKey),
                    () => store.storeKeyPair(keyId, pair.privateKey, pair.publicKey),
                    true,
                  ],
                ] as [string, () => Promise<unknown>, boolean][])
              : []),
          ];
      for (const [what, call, write] of calls) {
        endpoint.reset();
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        const seen = endpoint.counts();
        const against = `${what} against an endpoint that trickles one byte a second (deadline ${DEADLINE_MS} ms)`;
        expect(seen.overran, `${against} was still reading after ${MAX_TRICKLED_BYTES} bytes`).toBe(0);
        expect(seen.requests, `${against}: requests that reached the endpoint`).toBeGreaterThan(0);
        expect(
          isKeyStoreError(error, 'UNAVAILABLE'),
          `${against} should fail with KeyStoreError UNAVAILABLE, ${error === undefined ? 'but it succeeded' : `but threw ${describeError(error)}`}`,
        ).toBe(true);
        expect((error as { storeType?: string }).storeType, `${against}: error.storeType`).toBe(store.type);
        if (transport.deadlineSetting && !write)
          expect((error as Error).message, `${against}: the message names the setting`).toContain(
            transport.deadlineSetting,
          );
        // The store hung up on every answer (a deadline that only stops waiting leaves the request open).
        await expect
          .poll(() => endpoint.counts().closed, {
            message: `${against}: trickled answers the store hung up on, of ${seen.requests}`,
            timeout: 10_000,
          })
          .toBe(endpoint.counts().requests);
      }
    } finally {
      await store.close?.();
      await endpoint.close();
    }
  }, 120_000);

  it('NODE_DEBUG=http,net,tls prints no credential of the store', async (t) => {
    const { nodeDebug } = transportOf(c, t);
    const prepared = await nodeDebug.prepare();
    const secrets = prepared.secrets.filter((s) => typeof s === 'string');
    expect(secrets.length, 'nodeDebug.prepare() names the credentials to look for').toBeGreaterThan(0);
    for (const secret of secrets)
      expect(secret.length, 'a credential to look for is at least 8 characters').toBeGreaterThanOrEqual(8);
    const keyId = c.id('node-debug');
    const { stdout, stderr } = await runWithNodeDebug(
      nodeDebug.child,
      [keyId, ...(prepared.args ?? [])],
      prepared.env,
    );
    expect(stdout, `the child ${nodeDebug.child} ends by printing done`).toBe('done\n');
    // Node did log the connections (the checks below would pass trivially otherwise) ...
    expect(stderr, 'NODE_DEBUG output of the child').toContain('createConnection');
    // ... but no credential. The message never shows the secret, only which one it was.
    secrets.forEach((secret, i) => {
      expect(
        stderr.includes(secret),
        `NODE_DEBUG output contains credential #${i + 1} of prepare().secrets`,
      ).toBe(false);
    });
    for (const pattern of prepared.forbidden ?? [])
      expect(stderr, `NODE_DEBUG output matches ${String(pattern)}`).not.toMatch(pattern);
  }, 180_000);

  it('a wrapped store keeps every method and capability: KeyManager over withFaults() and named() signs and verifies', async (t) => {
    const store = c.store();
    for (const [name, wrapped] of [
      ['withFaults(store)', withFaults(store)],
      ['named(store)', named(store)],
    ] as const) {
      expect(wrapped.capabilities, `${name}.capabilities`).toEqual(store.capabilities);
      expect(wrapped.type, `${name}.type`).toBe(store.type);
      for (const method of KEYSTORE_METHODS)
        expect(typeof wrapped[method], `${name}.${method}`).toBe(typeof store[method]);
      const km = new KeyManager({ store: wrapped, env: {}, rotationDelayMs: 0 });
      const keyId = c.id('wrapped');
      if (store.capabilities.signer) await km.createKey(keyId);
      else if (store.capabilities.write) await km.generateKeyPair(keyId);
      else await c.put(t, keyId, ed25519Pair());
      const signature = await km.sign(keyId, 'phlow wrapped store');
      expect(
        await km.verify(keyId, 'phlow wrapped store', signature),
        `KeyManager over ${name}: verify`,
      ).toBe(true);
    }
  });
}
