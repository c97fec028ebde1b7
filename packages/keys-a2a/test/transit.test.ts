/**
 * A card signed by a real signer store: Vault Transit (the test Vault of tooling/services/with-services.sh),
 * whose keys never leave Vault. Both signatures of a staged rotation (the signing version and the next one)
 * are made by Vault through KeyManager's seam, and verify with our verifier and @a2a-js/sdk.
 */
import { verifyAgentCardSignature } from '@a2a-js/sdk';
import { KeyManager } from '@phlow/keys-core';
import { createVaultTransitKeyStore } from '@phlow/keystore-vault/transit';
import { base64url, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signAgentCard, verifyAgentCard } from '../src/index.js';
import { sampleCard } from './sample-card.mjs';

const addr = process.env.VAULT_ADDR;
const token = process.env.VAULT_TOKEN;
const mount = `transit-a2a-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

async function sys(method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${addr}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': token as string, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`Vault ${method} ${path}: ${res.status}`);
}

beforeAll(async () => {
  if (!addr || !token) throw new Error('run through tooling/services/with-services.sh (pnpm test does)');
  await sys('POST', `sys/mounts/${mount}`, { type: 'transit' });
  vi.spyOn(console, 'debug').mockImplementation(() => {});
});
afterAll(async () => {
  if (addr && token) await sys('DELETE', `sys/mounts/${mount}`).catch(() => {});
});

describe('signAgentCard on Vault Transit', () => {
  it('signs with the signing and the next version inside Vault; both verify', async () => {
    const store = createVaultTransitKeyStore({ mount, env: process.env, onWarning: () => {} });
    const keys = new KeyManager({ store, env: {}, rotationDelayMs: 600_000 });
    try {
      const first = await keys.createKey('agent');
      const { kid: next } = await keys.rotateKeyPair('agent');
      const signed = await signAgentCard(keys, 'agent', sampleCard());
      const kids = signed.signatures.map(
        (s) => JSON.parse(new TextDecoder().decode(base64url.decode(s.protected))).kid,
      );
      expect(kids).toEqual([first.kid, next]);
      for (const revoked of [first.kid, next]) {
        await expect(
          verifyAgentCard(signed, { algorithms: ['EdDSA'], keys, keyIds: ['agent'], revokedKids: [revoked] }),
        ).resolves.toMatchObject({ keyId: 'agent' });
      }
      const jwks = await keys.jwks(['agent']);
      for (const kid of kids) {
        const only = { ...signed, signatures: signed.signatures.filter((_, i) => kids[i] === kid) };
        await expect(
          verifyAgentCardSignature(async (k) =>
            importJWK(jwks.keys.find((j) => j.kid === k) as never, 'EdDSA'),
          )(only as never),
        ).resolves.toBeUndefined();
      }
    } finally {
      await keys.close();
    }
  });
});
