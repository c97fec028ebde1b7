/**
 * The PKCS#11 signer store (`PHLOW_KEY_STORE_TYPE=pkcs11`): Ed25519 (or P-256) keys generated inside a token
 * (an HSM, SoftHSM), found by label = key id, signing there (CKM_EDDSA, CKM_ECDSA). No method reads a private
 * key: the token refuses (the keys are sensitive and non-extractable) and the store asks for none.
 *
 * Calls into the token are synchronous (pkcs11js), so each method runs to its end without interleaving with
 * another in this process; processes sharing a token are told apart by the three steps of token.ts and the
 * check after each create/rotate (keepIfOwner), so readers only ever see versions no race takes back.
 */
import { createPublicKey } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertValidKeyId,
  isValidKeyId,
  KeyStoreError,
  type PublicKeyVersion,
  type SignerKeyStore,
  signerRefusals,
} from '@phlow/keys-core';
import { BoundedMap, versionTimes } from '@phlow/keys-core/adapter';
import { toKeyStoreError } from './errors.js';
import { checkedAlgorithm, type Pkcs11KeyStoreOptions, resolvePkcs11Config } from './options.js';
import { losers, owners, ownsBefore } from './owner.js';
import { openToken, type Token, type TokenKey } from './token.js';
import { type TokenAlgorithm, TYPE } from './type.js';

/** Options of `createKey` beyond the contract's. */
export interface CreatePkcs11KeyOptions {
  /** The new key's algorithm: `EdDSA` (Ed25519) or `ES256` (P-256). Default: the store's `algorithm`. */
  readonly algorithm?: TokenAlgorithm;
}

export interface Pkcs11KeyStore extends SignerKeyStore {
  readonly type: 'pkcs11';
  /** A new key generated on the token; `options.algorithm` picks its type (rotations keep it). */
  createKey(keyId: string, options?: CreatePkcs11KeyOptions): Promise<void>;
  listKeyIds(): Promise<string[]>;
  /** Opens the token now (module, token label, PIN), so a wrong setting fails at start-up. */
  checkConnection(): Promise<{ readonly module: string; readonly token: string }>;
  close(): Promise<void>;
}

const pem = (key: TokenKey) =>
  createPublicKey({
    key:
      key.algorithm === 'ES256'
        ? {
            kty: 'EC',
            crv: 'P-256',
            x: key.publicKey.subarray(1, 33).toString('base64url'),
            y: key.publicKey.subarray(33, 65).toString('base64url'),
          }
        : { kty: 'OKP', crv: 'Ed25519', x: key.publicKey.toString('base64url') },
    format: 'jwk',
  })
    .export({ type: 'spki', format: 'pem' })
    .toString();

/**
 * A pair still on its way to a version (pending or stamped, token.ts) after this long was left by a process
 * that died between generating and checking it: it no longer holds back a rotation (the steps take
 * milliseconds). deleteKeyPair removes such pairs.
 */
const STALE_MS = 60_000;

export function createPkcs11KeyStore(options: Pkcs11KeyStoreOptions = {}): Pkcs11KeyStore {
  const config = resolvePkcs11Config(options);
  let token: Token | undefined;
  let opening: Promise<Token> | undefined;
  let closed = false;
  /** Where each (key id, version) signed by version was found (see sign): the kit's bounded map. */
  const located = new BoundedMap<string, TokenKey>(1000);
  const fail = (code: 'NOT_FOUND' | 'CONFLICT', keyId: string, message: string) =>
    new KeyStoreError(code, message, { storeType: TYPE, keyId });

  /** Runs `fn` on the open token, opening it on first use; token failures become KeyStoreErrors. */
  async function on<T>(doing: string, keyId: string | undefined, fn: (t: Token) => T): Promise<T> {
    if (keyId !== undefined) assertValidKeyId(keyId, TYPE);
    if (closed)
      throw new KeyStoreError('UNAVAILABLE', 'the PKCS#11 store was closed', { storeType: TYPE, keyId });
    if (!token) {
      // Concurrent first calls share one open.
      opening ??= openWithRetry().finally(() => {
        opening = undefined;
      });
      const opened = await opening;
      if (closed) {
        opened.close();
        throw new KeyStoreError('UNAVAILABLE', 'the PKCS#11 store was closed', { storeType: TYPE, keyId });
      }
      token ??= opened;
    }
    const open = token;
    try {
      return fn(open);
    } catch (error) {
      throw toKeyStoreError(error, doing, keyId);
    }
  }
  /**
   * Opens the token, retrying a transient failure `openRetries` times (default 3; SoftHSM2 answers
   * CKR_GENERAL_ERROR to a login, and shows the token's label empty, while another process rewrites the
   * token's files; an HSM cluster may fail over): a bad setting still fails at once, a label that is not there
   * after the retries is INVALID_CONFIG.
   */
  async function openWithRetry(): Promise<Token> {
    const RETRIES = config.openRetries;
    for (let attempt = 0; ; attempt++) {
      try {
        return openToken(config, { finalAttempt: attempt >= RETRIES });
      } catch (error) {
        const e = toKeyStoreError(error, 'opening the token');
        if (e.code !== 'UNAVAILABLE' || attempt >= RETRIES) throw e;
        await sleep(50 * 2 ** attempt + Math.floor(Math.random() * 50));
      }
    }
  }
  /** Every version (step 3) of `keyId`: two of one number only from an earlier release, or hosts' clock skew. */
  const objectsOf = (t: Token, keyId: string) => t.keys(keyId).filter((k) => k.keyId === keyId);
  /** The versions readers use: the owner of each version number (owner.ts), newest first. */
  const versionsOf = (t: Token, keyId: string) => owners(objectsOf(t, keyId));

  /**
   * The race check, after generating and stamping `made` (step 2, token.ts): it becomes a version (step 3,
   * what readers use) only if no other process holds its version number, neither as a version nor as a pair
   * stamped earlier, and no other process is still generating that number (a pending pair may yet be stamped
   * earlier than ours); otherwise it is destroyed and the call is a CONFLICT. Why that is enough: a rival
   * that a process does not see at its check, or sees stamped later than its own pair, was generated after
   * that process had stamped, so its stamp is later and its own check steps back. So two processes never
   * both make one version, and nothing a reader uses is ever taken back (see the README).
   */
  const keepIfOwner = (t: Token, keyId: string, made: TokenKey): TokenKey => {
    const staleBefore = Date.now() - STALE_MS;
    const taken =
      versionsOf(t, keyId).some((k) => k.version === made.version) ||
      t
        .unconfirmed(keyId)
        .some(
          (k) =>
            k.version === made.version &&
            !k.id.equals(made.id) &&
            k.createdAt.getTime() >= staleBefore &&
            (k.step === 'pending' || ownsBefore(k, made) < 0),
        );
    if (taken) {
      t.destroy([made]);
      throw fail(
        'CONFLICT',
        keyId,
        `"${keyId}" was created or rotated by another process at the same moment: read it again`,
      );
    }
    return t.confirm(made);
  };

  const store: Pkcs11KeyStore = {
    type: TYPE,
    capabilities: { write: false, readPair: false, list: true, versions: false, signer: true },

    ...signerRefusals(TYPE, {
      keptIn: 'the PKCS#11 token',
      because: 'it is sensitive and non-extractable, and signs inside the token',
      noKeyMaterial: 'the PKCS#11 store generates its keys inside the token and takes no key material',
    }),
    async getPublicKey(keyId) {
      const [current] = await on('reading a key', keyId, (t) => versionsOf(t, keyId));
      return current ? pem(current) : null;
    },
    async deleteKeyPair(keyId) {
      await on('deleting a key', keyId, (t) => t.destroyAll(keyId));
    },
    async listKeyIds() {
      const keys = await on('listing keys', undefined, (t) => t.keys());
      return [...new Set(keys.map((k) => k.keyId).filter(isValidKeyId))].sort();
    },
    async getPublicKeyVersions(keyId): Promise<PublicKeyVersion[]> {
      // Two objects with one number (a race not cleaned up yet) count once: the owner's.
      const versions = await on('reading a key', keyId, (t) => versionsOf(t, keyId));
      return versions.map((k, i) => ({
        publicKey: pem(k),
        version: String(k.version),
        createdAt: k.createdAt,
        current: i === 0,
      }));
    },
    async createKey(keyId, createOptions = {}) {
      const algorithm =
        createOptions.algorithm === undefined ? config.algorithm : checkedAlgorithm(createOptions.algorithm);
      await on('creating a key', keyId, (t) => {
        if (objectsOf(t, keyId).length > 0)
          throw fail('CONFLICT', keyId, `"${keyId}" already exists on the token: rotate it`);
        keepIfOwner(t, keyId, t.generate(keyId, 1, { algorithm }));
      });
    },
    async rotateKey(keyId, { expectedVersion }) {
      await on('rotating a key', keyId, (t) => {
        const [current] = versionsOf(t, keyId);
        if (!current) throw fail('NOT_FOUND', keyId, `no key "${keyId}" on the token to rotate`);
        if (String(current.version) !== expectedVersion) {
          throw fail(
            'CONFLICT',
            keyId,
            `"${keyId}" changed since it was read (another rotation?): read it again and retry`,
          );
        }
        // A rotation keeps the key's algorithm: verifiers of an ES256 key keep accepting its next version. Its
        // stamp comes from core's one rule for a version's time (versionTimes): a host whose clock is more than
        // 5 minutes behind the version it replaces is refused (INVALID_CONFIG, the new pair destroyed), one
        // less behind dates the new version at the old one's time, never before it (which would retire it at
        // once and sign with a key verifiers were never given).
        const stamp = () =>
          versionTimes({ now: new Date(), newestCreatedAt: current.createdAt, storeType: TYPE, keyId })
            .createdAt;
        keepIfOwner(
          t,
          keyId,
          t.generate(keyId, current.version + 1, { algorithm: current.algorithm, stamp }),
        );
      });
    },
    async retireVersions(keyId, { keepFrom }) {
      await on('retiring old versions', keyId, (t) => {
        const objects = objectsOf(t, keyId);
        if (objects.length === 0) return;
        const n = Number(keepFrom);
        if (!owners(objects).some((k) => k.version === n))
          throw fail('NOT_FOUND', keyId, `"${keyId}" has no version ${String(keepFrom).slice(0, 20)}`);
        // Older versions, versions that lost a race (written by earlier releases of this store), and pairs a
        // dead process left on their way to a version.
        const lost = new Set(losers(objects));
        const staleBefore = Date.now() - STALE_MS;
        t.destroy([
          ...objects.filter((k) => k.version < n || lost.has(k)),
          ...t.unconfirmed(keyId).filter((k) => k.createdAt.getTime() < staleBefore),
        ]);
      });
    },
    async sign(keyId, data, signOptions = {}) {
      return on('signing', keyId, (t) => {
        if (!(data instanceof Uint8Array))
          throw new KeyStoreError('INVALID_CONFIG', 'sign needs the data as a Uint8Array', {
            storeType: TYPE,
            keyId,
          });
        // KeyManager signs by version every time. A version (step 3) is never taken back by a race, so
        // where it was found is remembered; gone (retired, or the id deleted and made anew), look again.
        const pinned = signOptions.version === undefined ? undefined : `${keyId}\0${signOptions.version}`;
        const known = pinned === undefined ? undefined : located.get(pinned);
        if (known) {
          try {
            return t.sign(known, data);
          } catch (error) {
            if ((error as { code?: string }).code !== 'NOT_FOUND') throw error;
            located.delete(pinned!);
          }
        }
        const versions = versionsOf(t, keyId);
        const key =
          signOptions.version === undefined
            ? versions[0]
            : versions.find((k) => String(k.version) === signOptions.version);
        if (!key) {
          throw fail(
            'NOT_FOUND',
            keyId,
            `no key "${keyId}" (version ${signOptions.version ?? 'current'}) on the token to sign with: it does not exist or that version was retired`,
          );
        }
        if (pinned !== undefined) located.set(pinned, key);
        return t.sign(key, data);
      });
    },
    async checkConnection() {
      await on('opening the token', undefined, () => undefined);
      return { module: config.module, token: config.token };
    },
    async close() {
      if (closed) return;
      closed = true;
      token?.close();
      token = undefined;
    },
  };
  return store;
}
