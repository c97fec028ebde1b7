// A verifier process with the verified-token cache on (createJwtVerifier, { cache: true }), its KeyManager
// configured from its environment. Driven over IPC by the parent:
//   -> { type: 'run', token, issuer, after }  verifies `token` over and over; each round first asks its own
//      KeyManager without the cache (verifyJwt) and then the cached verifier. It stops `after` rounds past the
//      first round in which verifyJwt refused, or when told { type: 'stop' }, and answers
//   <- { type: 'done', rounds, cachedAccepted, directAccepted, acceptedAfterDirectRefused, firstRefusal,
//        cachedCode, hitsBeforeRevoke, stats }
//   -> { type: 'revoked' }  the parent's note that the revocation has returned (counted, not waited on)
//   -> { type: 'status' }   <- { type: 'status', rounds, hits }
import { KeyManager } from '@phlow/keys-core';
import { createJwtVerifier, verifyJwt } from '../../dist/index.js';
import { openStore } from './store.mjs';

const keys = new KeyManager({ store: await openStore(), env: process.env });
const verifier = createJwtVerifier(keys, { cache: true });
const state = {
  rounds: 0,
  cachedAccepted: 0,
  directAccepted: 0,
  acceptedAfterDirectRefused: 0,
  firstRefusal: undefined,
  cachedCode: undefined,
  revokedAt: undefined,
  hitsBeforeRevoke: 0,
  stop: false,
};
const accepts = async (verify) => {
  try {
    await verify();
    return { ok: true };
  } catch (error) {
    return { ok: false, code: error?.code };
  }
};

async function run(token, after) {
  while (!state.stop) {
    state.rounds++;
    // Its own KeyManager first: once it refuses, the revocation is visible to this verifier, and the cached
    // answer that follows (same KeyManager, a later moment) must refuse too.
    const direct = await accepts(() => verifyJwt(keys, token));
    const cached = await accepts(() => verifier.verify(token));
    if (direct.ok) state.directAccepted++;
    if (cached.ok) state.cachedAccepted++;
    if (!direct.ok && state.firstRefusal === undefined) state.firstRefusal = state.rounds;
    if (state.firstRefusal !== undefined && cached.ok) state.acceptedAfterDirectRefused++;
    if (!cached.ok) state.cachedCode = cached.code;
    if (state.firstRefusal !== undefined && state.rounds - state.firstRefusal >= after) break;
    // Let IPC messages in; a short pause so a slow reread is not starved.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const { stop, ...report } = state;
  process.send({ type: 'done', ...report, stats: verifier.stats });
}

process.on('message', (message) => {
  if (message.type === 'run') void run(message.token, message.after);
  else if (message.type === 'revoked') {
    state.revokedAt = state.rounds;
    state.hitsBeforeRevoke = verifier.stats.hits;
  } else if (message.type === 'status') {
    process.send({ type: 'status', rounds: state.rounds, hits: verifier.stats.hits });
  } else if (message.type === 'stop') state.stop = true;
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
