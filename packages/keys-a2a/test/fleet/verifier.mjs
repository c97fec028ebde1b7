// Fleet child: the verifying agent. Keeps the issuer's card as HTTP caching allows (max-age, then a
// revalidation with If-None-Match), and for each "check" line on stdin verifies the card it holds with
// verifyAgentCard against the keys of the shared store (cache TTL 0: every check sees the store as it is, so
// a wrong acceptance cannot hide behind a cache). A refused card is fetched again once (revalidated) and
// verified again: what a verifier does when a card it cached stops verifying. Prints one JSON line per check.
import { createInterface } from 'node:readline';
import { KeyManager } from '@phlow/keys-core';
import { createFileKeyStore } from '@phlow/keystore-file';
import { verifyAgentCard } from '../../dist/index.js';

const keys = new KeyManager({ store: createFileKeyStore({ env: process.env }), env: process.env });
const policy = { algorithms: ['EdDSA'], keys, keyIds: [process.env.FLEET_KEY_ID] };
const url = process.env.FLEET_CARD_URL;
let cached; // { card, etag, expiresAt }
const counts = { fetched: 0, notModified: 0 };

async function fetchCard() {
  const res = await fetch(url, {
    headers: cached ? { 'if-none-match': cached.etag } : {},
    signal: AbortSignal.timeout(30_000),
  });
  const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1] ?? 0);
  if (res.status === 304 && cached) {
    counts.notModified++;
    cached = { ...cached, expiresAt: Date.now() + maxAge * 1000 };
    return;
  }
  if (res.status !== 200) throw new Error(`card endpoint answered ${res.status}`);
  counts.fetched++;
  cached = { card: await res.json(), etag: res.headers.get('etag'), expiresAt: Date.now() + maxAge * 1000 };
}

const kidsOf = (card) =>
  card.signatures.map((s) => JSON.parse(Buffer.from(s.protected, 'base64url').toString()).kid);

async function verify() {
  try {
    const result = await verifyAgentCard(cached.card, policy);
    return { accepted: true, kid: result.kid };
  } catch (error) {
    if (error?.name !== 'AgentCardError') throw error;
    return { accepted: false, code: error.code };
  }
}

async function check() {
  if (!cached || Date.now() >= cached.expiresAt) await fetchCard();
  let outcome = await verify();
  let refetched = false;
  if (!outcome.accepted) {
    refetched = true;
    await fetchCard();
    outcome = await verify();
  }
  return { ...outcome, refetched, cardKids: kidsOf(cached.card), ...counts };
}

const lines = createInterface({ input: process.stdin });
for await (const _line of lines) {
  process.stdout.write(`${JSON.stringify(await check())}\n`);
}
await keys.close();
