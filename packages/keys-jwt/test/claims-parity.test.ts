// verifyJwt checks claims itself (claims.ts) since it stopped handing tokens to jose's jwtVerify. This test
// holds it to jose: the same tokens, signed through KeyManager's seam with every claim edge that matters
// (missing, wrong type, each side of each tolerance boundary, aud and iss lists, max age), verified by
// verifyJwt and by jose's jwtVerify with the same options and clock; jose's error mapped as verifyJwt always
// mapped it. Any difference fails.
import { createMemoryKeyStore } from '@phlow/keys-core';
import { importSPKI, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyJwt } from '../src/index.js';
import { manager } from './helpers.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** jose's error as verifyJwt's code (the mapping verifyJwt used while jose checked its claims). */
function joseCode(error: { code?: string; claim?: string; reason?: string }): string {
  const { code, claim, reason } = error;
  if (code === 'ERR_JWT_EXPIRED') return 'EXPIRED';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if ((claim === 'nbf' || claim === 'iat') && reason === 'check_failed') return 'NOT_YET_VALID';
    if ((claim === 'nbf' || claim === 'iat' || claim === 'exp') && reason === 'invalid')
      return 'CLAIM_INVALID';
    if (claim === 'aud') return 'AUDIENCE_MISMATCH';
    if (claim === 'iss') return 'ISSUER_MISMATCH';
    return 'CLAIM_INVALID';
  }
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'SIGNATURE_INVALID';
  return `other:${code}`;
}

describe('verifyJwt claim checks match jose jwtVerify', () => {
  it('gives jose’s answer on every claim edge, for tolerance 0 and 30 and with a max token age', async () => {
    const nowMs = Date.UTC(2026, 5, 1, 12, 0, 0, 500);
    const now = Math.floor(nowMs / 1000);
    const keys = manager(createMemoryKeyStore(), () => nowMs);
    const pair = await keys.generateKeyPair('agent');
    const publicKey = await importSPKI(pair.publicKey, 'EdDSA');
    const header = b64({ alg: 'EdDSA', kid: pair.kid, typ: 'JWT' });
    const sign = async (claims: Record<string, unknown>) => {
      const input = `${header}.${b64(claims)}`;
      return `${input}.${Buffer.from(await keys.sign('agent', input)).toString('base64url')}`;
    };
    const base = { iss: 'agent', aud: 'peer' };
    const claimSets: Record<string, unknown>[] = [];
    for (const d of [-31, -30, -29, -1, 0, 1, 29, 30, 31]) {
      claimSets.push({ ...base, iat: now, exp: now + d });
      claimSets.push({ ...base, iat: now, exp: now + 60, nbf: now + d });
      claimSets.push({ ...base, iat: now + d, exp: now + 600 });
      claimSets.push({ ...base, iat: now - 120 + d, exp: now + 600 });
    }
    claimSets.push(
      { ...base, iat: now },
      { ...base, exp: '9999999999' },
      { ...base, exp: now + 60, nbf: 'soon' },
      { ...base, exp: now + 60, iat: 'now' },
      { ...base, exp: now + 60, iat: null },
      { ...base, exp: now + 60, nbf: now + 60, iat: 'x' },
      { iss: 'agent', exp: now + 60 },
      { ...base, aud: ['other', 'peer'], exp: now + 60 },
      { ...base, aud: ['other'], exp: now + 60 },
      { ...base, aud: 'other', exp: now + 60 },
      { ...base, aud: 7, exp: now + 60 },
      { aud: 'peer', exp: now + 60 },
      { ...base, exp: now + 60.5, nbf: now - 0.5 },
    );
    const optionSets = [
      { clockTolerance: 30 },
      { clockTolerance: 0 },
      { clockTolerance: 0, maxTokenAge: 120 },
      { clockTolerance: 30, maxTokenAge: 120 },
      { clockTolerance: 5, issuer: ['agent', 'other'] },
    ];
    let compared = 0;
    for (const claims of claimSets) {
      const token = await sign(claims);
      for (const o of optionSets) {
        const ours = await verifyJwt(keys, token, {
          keyId: 'agent',
          audience: 'peer',
          clockToleranceSeconds: o.clockTolerance,
          now: () => nowMs,
          ...(o.maxTokenAge !== undefined ? { maxTokenAgeSeconds: o.maxTokenAge } : {}),
          ...(o.issuer !== undefined ? { issuer: o.issuer } : {}),
        }).then(
          () => 'accepted',
          (e: { code: string }) => e.code,
        );
        const theirs = await jwtVerify(token, publicKey, {
          algorithms: ['EdDSA'],
          requiredClaims: ['exp'],
          audience: 'peer',
          currentDate: new Date(nowMs),
          ...o,
        }).then(
          () => 'accepted',
          (e: { code?: string; claim?: string; reason?: string }) => joseCode(e),
        );
        // verifyJwt's own rule beyond jose: an iss other than the key id is refused when no issuer is expected.
        const expected =
          theirs === 'accepted' &&
          o.issuer === undefined &&
          claims.iss !== undefined &&
          claims.iss !== 'agent'
            ? 'ISSUER_MISMATCH'
            : theirs;
        expect({ claims, options: o, result: ours }).toEqual({ claims, options: o, result: expected });
        compared++;
      }
    }
    expect(compared).toBe(claimSets.length * optionSets.length);
  });
});
