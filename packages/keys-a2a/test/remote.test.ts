/**
 * Pinned JWK Set URLs through keys-jwt's createRemoteKeySet (the one remote fetcher), against a real JWKS
 * endpoint on loopback: the set's URL is the jku allow-list, and any other jku is never fetched.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createJwksNodeHandler, createRemoteKeySet } from '@phlow/keys-jwt';
import { afterEach, describe, expect, it } from 'vitest';
import { isAgentCardError, signAgentCard, verifyAgentCard } from '../src/index.js';
import { manager } from './helpers.js';
import { sampleCard } from './sample-card.mjs';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
}

describe('verifyAgentCard with pinned JWK Set URLs', () => {
  it('verifies through the pinned set the jku names, and never fetches another jku', async () => {
    const keys = manager(undefined, Date.now, 0);
    const pair = await keys.generateKeyPair('agent', { algorithm: 'ES256' });
    let jwksHits = 0;
    const jwksHandler = createJwksNodeHandler(keys, { keyIds: ['agent'] });
    const jwksUrl = await serve((req, res) => {
      jwksHits++;
      jwksHandler(req, res);
    });
    let attackerHits = 0;
    const attackerUrl = await serve((_req, res) => {
      attackerHits++;
      res.end('{"keys":[]}');
    });
    const set = createRemoteKeySet(jwksUrl, { allowInsecureLoopback: true });
    try {
      const policy = { algorithms: ['ES256'] as const, jwks: [set] };
      const signed = await signAgentCard(keys, 'agent', sampleCard(), { jku: jwksUrl });
      await expect(verifyAgentCard(signed, { ...policy, algorithms: ['ES256'] })).resolves.toMatchObject({
        source: 'jwks',
        url: set.url,
        kid: pair.kid,
      });
      // Without a jku: the pinned set is asked too.
      const plain = await signAgentCard(keys, 'agent', sampleCard());
      await expect(verifyAgentCard(plain, { ...policy, algorithms: ['ES256'] })).resolves.toMatchObject({
        source: 'jwks',
      });
      expect(jwksHits).toBeGreaterThan(0);
      // Same key, the attacker's URL as jku: refused by default; with jku 'ignore' trusted through the pinned set.
      const redirected = await signAgentCard(keys, 'agent', sampleCard(), { jku: attackerUrl });
      const refused = await verifyAgentCard(redirected, { ...policy, algorithms: ['ES256'] }).catch(
        (e: unknown) => e,
      );
      expect(isAgentCardError(refused, 'JKU_REFUSED')).toBe(true);
      await expect(
        verifyAgentCard(redirected, { ...policy, algorithms: ['ES256'], jku: 'ignore' }),
      ).resolves.toMatchObject({ source: 'jwks' });
      // Another key behind the attacker's jku: refused either way, not fetched.
      const other = manager(undefined, Date.now, 0);
      await other.generateKeyPair('evil', { algorithm: 'ES256' });
      const forged = await signAgentCard(other, 'evil', sampleCard(), { jku: attackerUrl });
      const error = await verifyAgentCard(forged, { ...policy, algorithms: ['ES256'] }).catch(
        (e: unknown) => e,
      );
      expect(isAgentCardError(error, 'JKU_REFUSED')).toBe(true);
      const ignored = await verifyAgentCard(forged, {
        ...policy,
        algorithms: ['ES256'],
        jku: 'ignore',
      }).catch((e: unknown) => e);
      expect(isAgentCardError(ignored, 'KID_UNKNOWN')).toBe(true);
      expect(attackerHits).toBe(0);
    } finally {
      set.close();
    }
  });

  it('a pinned set that cannot be fetched is KEYS_UNAVAILABLE, not a refusal of the card', async () => {
    const keys = manager(undefined, Date.now, 0);
    await keys.generateKeyPair('agent');
    const down = await serve((_req, res) => {
      res.writeHead(500).end();
    });
    const set = createRemoteKeySet(down, { allowInsecureLoopback: true });
    try {
      const signed = await signAgentCard(keys, 'agent', sampleCard());
      const error = await verifyAgentCard(signed, { algorithms: ['EdDSA'], jwks: [set] }).catch(
        (e: unknown) => e,
      );
      expect(isAgentCardError(error, 'KEYS_UNAVAILABLE')).toBe(true);
    } finally {
      set.close();
    }
  });
});
