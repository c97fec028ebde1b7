/**
 * The negative table of issue 20: each forged or broken card is refused with its own code, and the
 * attacker's jku server receives no request.
 */
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryKeyStore, jwkThumbprint, type KeyManager } from '@phlow/keys-core';
import { base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentCardErrorCode,
  type AgentCardTrustPolicy,
  canonicalize,
  isAgentCardError,
  type SignedAgentCard,
  signAgentCard,
  verifyAgentCard,
} from '../src/index.js';
import { manager } from './helpers.js';
import { sampleCard } from './sample-card.mjs';

const b64 = (value: unknown) => base64url.encode(typeof value === 'string' ? value : JSON.stringify(value));
const { signatures: _s, ...unsignedSample } = { signatures: undefined, ...sampleCard() };

let attackerHits = 0;
let attacker: Server;
let attackerUrl: string;
let keys: KeyManager;
let signed: SignedAgentCard;
let kid: string;
let policy: AgentCardTrustPolicy;

beforeAll(async () => {
  attacker = createServer((_req, res) => {
    attackerHits++;
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end('{"keys":[]}');
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/.well-known/jwks.json`;
  keys = manager(createMemoryKeyStore(), Date.now, 0);
  kid = (await keys.generateKeyPair('agent')).kid;
  signed = await signAgentCard(keys, 'agent', sampleCard());
  policy = { algorithms: ['EdDSA', 'ES256', 'RS256'], keys, keyIds: ['agent'] };
});

afterAll(() => new Promise<void>((resolve) => attacker.close(() => resolve())));

/** A card signed by a key of the attacker's, whose kid is its own thumbprint. */
function attackerCard(header: Record<string, unknown> = {}): SignedAgentCard {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const ownKid = jwkThumbprint(publicKey.export({ format: 'jwk' }));
  const protectedHeader = b64({ alg: 'EdDSA', kid: ownKid, typ: 'JOSE', ...header });
  const input = `${protectedHeader}.${b64(canonicalize(unsignedSample))}`;
  const signature = base64url.encode(sign(null, Buffer.from(input), privateKey));
  return { ...unsignedSample, signatures: [{ protected: protectedHeader, signature }] };
}

async function refusal(
  card: unknown,
  p: AgentCardTrustPolicy = policy,
): Promise<AgentCardErrorCode | string> {
  try {
    await verifyAgentCard(card, p);
    return 'ACCEPTED';
  } catch (error) {
    if (!isAgentCardError(error)) throw error;
    // No message quotes the card or its headers.
    expect(error.message).not.toContain('Example Agent');
    expect(error.message).not.toContain(signed.signatures[0]!.signature.slice(0, 20));
    return error.code;
  }
}

const withSignature = (s: Record<string, unknown>): unknown => ({ ...unsignedSample, signatures: [s] });

describe('the negative table', () => {
  it('accepts the untouched card (the baseline every row changes one thing of)', async () => {
    expect(await refusal(signed)).toBe('ACCEPTED');
  });

  it('forged signature: SIGNATURE_INVALID', async () => {
    const forged = base64url.encode(new Uint8Array(64).fill(7));
    expect(await refusal(withSignature({ ...signed.signatures[0], signature: forged }))).toBe(
      'SIGNATURE_INVALID',
    );
    // The header of the trusted key over the attacker's signature.
    const other = attackerCard().signatures[0]!;
    expect(
      await refusal(
        withSignature({ protected: signed.signatures[0]!.protected, signature: other.signature }),
      ),
    ).toBe('SIGNATURE_INVALID');
  });

  it('alg none: ALG_REFUSED', async () => {
    expect(
      await refusal(withSignature({ protected: b64({ alg: 'none', kid, typ: 'JOSE' }), signature: '' })),
    ).toBe('ALG_REFUSED');
  });

  it('HS256 with the public key as the HMAC secret: ALG_REFUSED', async () => {
    const publicPem = (await keys.getPublicKeyPair('agent')).publicKey;
    const protectedHeader = b64({ alg: 'HS256', kid, typ: 'JOSE' });
    const input = `${protectedHeader}.${b64(canonicalize(unsignedSample))}`;
    const mac = base64url.encode(createHmac('sha256', publicPem).update(input).digest());
    expect(await refusal(withSignature({ protected: protectedHeader, signature: mac }))).toBe('ALG_REFUSED');
    // And no policy can allow it.
    const error = await verifyAgentCard(signed, { ...policy, algorithms: ['HS256' as never] }).catch(
      (e) => e,
    );
    expect(isAgentCardError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it("jku pointing to the attacker's server: JKU_REFUSED, and the server receives 0 requests", async () => {
    const pinnedElsewhere = {
      url: 'https://keys.example/jwks.json',
      getKey: async () => undefined,
    };
    expect(await refusal(attackerCard({ jku: attackerUrl }))).toBe('JKU_REFUSED');
    expect(await refusal(attackerCard({ jku: attackerUrl }), { ...policy, jwks: [pinnedElsewhere] })).toBe(
      'JKU_REFUSED',
    );
    // Even a jku naming the trusted signer's own key is refused when it is not pinned.
    const own = await signAgentCard(keys, 'agent', sampleCard(), { jku: attackerUrl });
    expect(await refusal(own)).toBe('JKU_REFUSED');
    expect(await refusal(own, { ...policy, jku: 'ignore' })).toBe('ACCEPTED');
    expect(await refusal(attackerCard({ jku: attackerUrl }), { ...policy, jku: 'ignore' })).toBe(
      'KID_UNKNOWN',
    );
    expect(attackerHits).toBe(0);
  });

  it('a kid not in the trusted set: KID_UNKNOWN', async () => {
    expect(await refusal(attackerCard())).toBe('KID_UNKNOWN');
  });

  it('a revoked key: KEY_REVOKED by the policy; after an emergency rotation the old kid is not trusted (KID_UNKNOWN)', async () => {
    expect(await refusal(signed, { ...policy, revokedKids: [kid] })).toBe('KEY_REVOKED');
    const own = manager(createMemoryKeyStore(), Date.now, 600_000);
    await own.generateKeyPair('agent');
    const before = await signAgentCard(own, 'agent', sampleCard());
    await own.rotateKeyPair('agent', { revokePrevious: true });
    expect(await refusal(before, { algorithms: ['EdDSA'], keys: own, keyIds: ['agent'] })).toBe(
      'KID_UNKNOWN',
    );
  });

  it('an expired pinned key: KEY_EXPIRED', async () => {
    const jwk = (await keys.jwks(['agent'])).keys[0] as unknown as import('node:crypto').JsonWebKey;
    expect(
      await refusal(signed, { algorithms: ['EdDSA'], pinnedKeys: [{ jwk, expires: Date.now() - 1 }] }),
    ).toBe('KEY_EXPIRED');
    expect(
      await refusal(signed, { algorithms: ['EdDSA'], pinnedKeys: [{ jwk, notBefore: Date.now() + 60_000 }] }),
    ).toBe('KEY_EXPIRED');
  });

  it('an alg that does not fit the key: ALG_MISMATCH', async () => {
    const header = b64({ alg: 'ES256', kid, typ: 'JOSE' });
    expect(
      await refusal(withSignature({ protected: header, signature: signed.signatures[0]!.signature })),
    ).toBe('ALG_MISMATCH');
  });

  it('the card changed after signing, each field in turn (and added, removed): SIGNATURE_INVALID', async () => {
    const changes: ((card: Record<string, unknown>) => void)[] = [];
    const leaves = (value: unknown, path: (string | number)[]): void => {
      if (typeof value === 'object' && value !== null) {
        for (const [k, v] of Object.entries(value))
          leaves(v, [...path, Array.isArray(value) ? Number(k) : k]);
        return;
      }
      changes.push((card) => {
        let at = card as Record<string | number, unknown>;
        for (const step of path.slice(0, -1)) at = at[step] as Record<string | number, unknown>;
        const last = path.at(-1)!;
        const old = at[last];
        at[last] =
          typeof old === 'string'
            ? `${old}x`
            : typeof old === 'boolean'
              ? !old
              : typeof old === 'number'
                ? old + 1
                : 'x';
      });
    };
    leaves(unsignedSample, []);
    for (const name of Object.keys(unsignedSample)) changes.push((card) => delete card[name]);
    changes.push((card) => {
      card.extra = true;
    });
    expect(changes.length).toBeGreaterThan(15);
    for (const change of changes) {
      const card = structuredClone(signed) as unknown as Record<string, unknown>;
      change(card);
      expect(await refusal(card)).toBe('SIGNATURE_INVALID');
    }
  });

  it('a signature over the card with `signatures` included: SIGNATURE_INVALID', async () => {
    const protectedHeader = b64({ alg: 'EdDSA', kid, typ: 'JOSE' });
    const withSignatures = { ...unsignedSample, signatures: [] };
    const signature = await keys.sign('agent', `${protectedHeader}.${b64(canonicalize(withSignatures))}`);
    expect(
      await refusal({
        ...unsignedSample,
        signatures: [{ protected: protectedHeader, signature: base64url.encode(signature) }],
      }),
    ).toBe('SIGNATURE_INVALID');
  });

  it('duplicate JSON member names: DUPLICATE_KEY', async () => {
    const text = JSON.stringify(signed);
    expect(await refusal(text.replace('"name":', '"name":"Evil Agent","name":'))).toBe('DUPLICATE_KEY');
    expect(await refusal(text.replace('"streaming":', '"streaming":false,"streaming":'))).toBe(
      'DUPLICATE_KEY',
    );
    expect(await refusal(text)).toBe('ACCEPTED');
  });

  it('a card of 10 MB: TOO_LARGE, as text, bytes or object', async () => {
    const big = { ...signed, description: 'x'.repeat(10 * 1024 * 1024) };
    const text = JSON.stringify(big);
    expect(await refusal(text)).toBe('TOO_LARGE');
    expect(await refusal(new TextEncoder().encode(text))).toBe('TOO_LARGE');
    expect(await refusal(big)).toBe('TOO_LARGE');
    const deep = JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`);
    expect(await refusal({ ...signed, deep })).toBe('TOO_LARGE');
  });

  it('values RFC 8785 does not define: NOT_CANONICAL', async () => {
    expect(await refusal({ ...signed, n: Number.NaN })).toBe('NOT_CANONICAL');
    expect(await refusal({ ...signed, n: Number.POSITIVE_INFINITY })).toBe('NOT_CANONICAL');
    expect(await refusal({ ...signed, s: 'a\uD800b' })).toBe('NOT_CANONICAL');
    expect(await refusal({ ...signed, '\uDC00': 1 })).toBe('NOT_CANONICAL');
    expect(await refusal({ ...signed, d: new Date() })).toBe('NOT_CANONICAL');
    expect(await refusal({ ...signed, u: undefined })).toBe('NOT_CANONICAL');
    const text = JSON.stringify(signed);
    expect(await refusal(`${text.slice(0, -1)},"n":1e400}`)).toBe('NOT_CANONICAL');
    expect(await refusal(`${text.slice(0, -1)},"s":"\\ud800"}`)).toBe('NOT_CANONICAL');
    await expect(signAgentCard(keys, 'agent', { ...sampleCard(), n: Number.NaN })).rejects.toMatchObject({
      code: 'NOT_CANONICAL',
    });
  });

  it('no signatures, malformed entries and unknown critical headers', async () => {
    expect(await refusal(unsignedSample)).toBe('UNSIGNED');
    expect(await refusal({ ...unsignedSample, signatures: [] })).toBe('UNSIGNED');
    expect(await refusal({ ...unsignedSample, signatures: 'x' })).toBe('SIGNATURE_MALFORMED');
    expect(await refusal(withSignature({ protected: 'not base64!', signature: 'x' }))).toBe(
      'SIGNATURE_MALFORMED',
    );
    expect(await refusal(withSignature({ protected: b64([1]), signature: 'x' }))).toBe('SIGNATURE_MALFORMED');
    const crit = b64({ alg: 'EdDSA', kid, typ: 'JOSE', crit: ['exp'], exp: 1 });
    expect(
      await refusal(withSignature({ protected: crit, signature: signed.signatures[0]!.signature })),
    ).toBe('SIGNATURE_MALFORMED');
    expect(
      await refusal({
        ...signed,
        signatures: [...signed.signatures, ...Array(8).fill(signed.signatures[0])],
      }),
    ).toBe('TOO_LARGE');
    expect(await refusal('{"name": ')).toBe('MALFORMED');
    expect(await refusal('[]')).toBe('MALFORMED');
  });

  it('accepts a card when one of several signatures verifies, and reports each refusal otherwise', async () => {
    const card = { ...signed, signatures: [attackerCard().signatures[0]!, signed.signatures[0]!] };
    await expect(verifyAgentCard(card, policy)).resolves.toMatchObject({ index: 1, kid });
    const error = await verifyAgentCard(
      { ...card, signatures: [card.signatures[0]!, { ...card.signatures[1]!, signature: 'AAAA' }] },
      policy,
    ).catch((e) => e);
    expect(error.failures.map((f: { code: string }) => f.code)).toEqual(['KID_UNKNOWN', 'SIGNATURE_INVALID']);
  });
});
