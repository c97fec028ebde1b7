// verifyJwt on a remote JWK Set binds the token's iss to the set: its keyId is the set's host name unless the
// caller names one, so a token whose iss names someone else is ISSUER_MISMATCH (pass options.issuer to accept
// it). An options object that carries `keyId: undefined` (built from a config field that is unset) must mean
// the same as no keyId at all, never "whatever iss the token claims".
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createRemoteKeySet, isJwtError, verifyJwt } from '../src/index.js';
import { jwks, newKey, serversClosedAfterEach } from './remote-helpers.js';

const serve = serversClosedAfterEach();

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'valid',
    (error: unknown) => (isJwtError(error) ? error.code : String(error)),
  );

describe('verifyJwt(remoteKeySet) and the issuer', () => {
  it('an explicit keyId: undefined keeps the set host as the issuer: a token claiming another iss is refused', async () => {
    const key = newKey();
    const server = await serve(jwks(() => ({ keys: [key.publicJwk] })));
    const set = createRemoteKeySet(server.url(), { allowInsecureLoopback: true });
    // Signed by the set's own key, claiming to come from another issuer.
    const claimsOther = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setIssuer('partner-b')
      .setExpirationTime('5m')
      .sign(key.privateKey);
    expect(await codeOf(verifyJwt(set, claimsOther))).toBe('ISSUER_MISMATCH');
    expect(await codeOf(verifyJwt(set, claimsOther, { keyId: undefined }))).toBe('ISSUER_MISMATCH');
    // Accepting it is explicit, and the result names the set, not the token's claim.
    const accepted = await verifyJwt(set, claimsOther, { keyId: undefined, issuer: 'partner-b' });
    expect(accepted.keyId).toBe('127.0.0.1');
    set.close();
  });
});
