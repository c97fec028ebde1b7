// What verifyJwt decodes itself since it stopped handing tokens to jose: each token has exactly one spelling
// (canonical base64url in all three parts), its header and payload are strict JSON (no member name twice, no
// deep nesting), and an ES256 signature is the JWS form (raw r || s, 64 bytes), never DER. Each row signs
// the odd token with the issuer's real key, so the refusal is the decoding's, not the signature's.
import { createPrivateKey, sign } from 'node:crypto';
import { createMemoryKeyStore, type KeyManager } from '@phlow/keys-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier, signJwt, verifyJwt } from '../src/index.js';
import { manager } from './helpers.js';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

let keys: KeyManager;
let edKid: string;
const exp = () => Math.floor(Date.now() / 1000) + 600;

/** A token over exactly these header and payload parts, signed by the current key of `keyId`. */
async function signParts(keyId: string, headerPart: string, payloadPart: string): Promise<string> {
  const pair = await keys.getKeyPair(keyId);
  const input = Buffer.from(`${headerPart}.${payloadPart}`);
  const key = createPrivateKey(pair.privateKey);
  const signature =
    pair.alg === 'ES256'
      ? sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' })
      : sign(pair.alg === 'RS256' ? 'sha256' : null, input, key);
  return `${headerPart}.${payloadPart}.${signature.toString('base64url')}`;
}

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: { code?: string }) => error.code ?? String(error),
  );

beforeAll(async () => {
  keys = manager(createMemoryKeyStore());
  await keys.generateKeyPair('ed');
  await keys.generateKeyPair('es', { algorithm: 'ES256' });
  edKid = (await keys.getKeyPair('ed')).kid;
});

describe('verifyJwt decodes strictly', () => {
  it('control: a hand-signed token verifies', async () => {
    const token = await signParts(
      'ed',
      b64(JSON.stringify({ alg: 'EdDSA', kid: edKid })),
      b64(JSON.stringify({ iss: 'ed', exp: exp() })),
    );
    expect(await outcome(verifyJwt(keys, token))).toBe('accepted');
  });

  it('refuses a signature re-spelled in its unused low bits (same bytes, another token string)', async () => {
    const token = await signJwt(keys, 'ed');
    // 64 bytes are 86 characters: the last one carries 2 bits, its low 4 bits are unused.
    const last = ALPHABET.indexOf(token.at(-1) as string);
    const respelled = `${token.slice(0, -1)}${ALPHABET[last | 1]}`;
    expect(Buffer.from(respelled.split('.')[2] as string, 'base64url')).toEqual(
      Buffer.from(token.split('.')[2] as string, 'base64url'),
    );
    expect(await outcome(verifyJwt(keys, token))).toBe('accepted');
    expect(await outcome(verifyJwt(keys, respelled))).toBe('MALFORMED');
    // The cached verifier cannot be made to hold one token under many spellings either.
    const verifier = createJwtVerifier(keys, { cache: true });
    await verifier.verify(token);
    expect(await outcome(verifier.verify(respelled))).toBe('MALFORMED');
    expect(verifier.stats.size).toBe(1);
  });

  it('refuses a payload part of 4n + 1 characters (a character no byte ends in), even when signed', async () => {
    const payload = `${b64(JSON.stringify({ iss: 'ed', exp: exp(), pad: 'x' }))}`;
    const odd =
      payload.length % 4 === 0 ? `${payload}A` : `${payload}${'A'.repeat(5 - (payload.length % 4))}`;
    expect(odd.length % 4).toBe(1);
    const token = await signParts('ed', b64(JSON.stringify({ alg: 'EdDSA', kid: edKid })), odd);
    expect(await outcome(verifyJwt(keys, token))).toBe('MALFORMED');
  });

  it('refuses a payload that names a claim twice (JSON.parse keeps the last, other parsers the first)', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const token = await signParts(
      'ed',
      b64(JSON.stringify({ alg: 'EdDSA', kid: edKid })),
      b64(`{"iss":"ed","exp":${past},"exp":${exp()}}`),
    );
    expect(await outcome(verifyJwt(keys, token))).toBe('MALFORMED');
  });

  it('refuses a header that names a parameter twice', async () => {
    const token = await signParts(
      'ed',
      b64(`{"alg":"EdDSA","kid":"${edKid}","kid":"${edKid}"}`),
      b64(JSON.stringify({ iss: 'ed', exp: exp() })),
    );
    expect(await outcome(verifyJwt(keys, token))).toBe('MALFORMED');
  });

  it('refuses claims nested deeper than the strict JSON limit', async () => {
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
    const token = await signParts(
      'ed',
      b64(JSON.stringify({ alg: 'EdDSA', kid: edKid })),
      b64(`{"iss":"ed","exp":${exp()},"x":${deep}}`),
    );
    expect(await outcome(verifyJwt(keys, token))).toBe('MALFORMED');
  });

  it('an own "__proto__" claim stays data: it neither sets the prototype nor hides exp', async () => {
    const token = await signParts(
      'ed',
      b64(JSON.stringify({ alg: 'EdDSA', kid: edKid })),
      b64(`{"iss":"ed","__proto__":{"exp":${exp()}}}`),
    );
    expect(await outcome(verifyJwt(keys, token))).toBe('CLAIM_INVALID');
  });

  it('refuses a JWS of another kind made with the same key (an A2A card signature, typ JOSE) rebuilt as a token', async () => {
    // What @phlow/keys-a2a signs: { alg, kid, typ: "JOSE" } over the card's canonical JSON, published with the
    // card. A card that happens to carry an exp member would otherwise verify as a JWT whose claims are the card.
    const card = { capabilities: {}, description: '', exp: exp(), name: 'Example Agent', skills: [] };
    const cardSignature = await signParts(
      'ed',
      b64(JSON.stringify({ alg: 'EdDSA', kid: edKid, typ: 'JOSE' })),
      b64(JSON.stringify(card)),
    );
    expect(await outcome(verifyJwt(keys, cardSignature, { keyId: 'ed' }))).toBe('MALFORMED');
    // JWT types are accepted whatever their case, media-type form or +jwt suffix.
    for (const typ of ['JWT', 'jwt', 'application/jwt', 'at+jwt', 'application/at+JWT']) {
      const token = await signParts(
        'ed',
        b64(JSON.stringify({ alg: 'EdDSA', kid: edKid, typ })),
        b64(JSON.stringify({ iss: 'ed', exp: exp() })),
      );
      expect([typ, await outcome(verifyJwt(keys, token))]).toEqual([typ, 'accepted']);
    }
    const numeric = await signParts(
      'ed',
      b64(JSON.stringify({ alg: 'EdDSA', kid: edKid, typ: 1 })),
      b64(JSON.stringify({ iss: 'ed', exp: exp() })),
    );
    expect(await outcome(verifyJwt(keys, numeric))).toBe('MALFORMED');
  });

  it('ES256: the DER form of a valid signature is refused (JWS signatures are raw r || s)', async () => {
    const pair = await keys.getKeyPair('es');
    const headerPart = b64(JSON.stringify({ alg: 'ES256', kid: pair.kid }));
    const payloadPart = b64(JSON.stringify({ iss: 'es', exp: exp() }));
    const input = Buffer.from(`${headerPart}.${payloadPart}`);
    const key = createPrivateKey(pair.privateKey);
    const raw = sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const der = sign('sha256', input, { key, dsaEncoding: 'der' }).toString('base64url');
    expect(await outcome(verifyJwt(keys, `${headerPart}.${payloadPart}.${raw}`))).toBe('accepted');
    expect(await outcome(verifyJwt(keys, `${headerPart}.${payloadPart}.${der}`))).toBe('SIGNATURE_INVALID');
  });
});
