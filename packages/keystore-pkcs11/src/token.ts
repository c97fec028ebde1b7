/**
 * The PKCS#11 token, through pkcs11js: loading the module (once per process and path, reference counted,
 * since a second C_Initialize of one library fails and a C_Finalize would pull it from under other stores),
 * the logged-in session, and the few operations the store needs on Ed25519 and P-256 objects.
 *
 * Each key version is a key pair of objects with CKA_LABEL = the key id and CKA_ID = `phlow:<n>:<ms>:<nonce>`
 * (version number, stamp: PKCS#11 has no creation timestamp with a time of day, and 8 random bytes: two
 * processes that make one version in the same millisecond still get two ids, so each finds and destroys only
 * its own pair; ids without the nonce, written before it, are read alike). A pair becomes a version in three
 * steps, each an id written on both halves, private half first (so whoever finds a public half by its id
 * finds the private half too):
 *   1. `phlow-pending:<n>:<started ms>:<nonce>`: generated, not stamped yet;
 *   2. `phlow-stamped:<n>:<ms>:<nonce>`: stamped with the time generation ended, not checked yet;
 *   3. `phlow:<n>:<ms>:<nonce>`: checked by its process against the race rule (store.ts, owner.ts): a version.
 * Readers take only step 3, so no reader ever uses a pair that may still step back; the race check looks at
 * steps 1 and 2 of other processes. Private halves are
 * generated on the token with CKA_SENSITIVE true and CKA_EXTRACTABLE false, checked after generation: a
 * token that ignored either gets the key destroyed and an UNSUPPORTED error.
 */

import { createHash, randomBytes } from 'node:crypto';
import { KeyStoreError } from '@phlow/keys-core';
import pkcs11js from 'pkcs11js';
import { toKeyStoreError } from './errors.js';
import type { Pkcs11Config } from './options.js';
import { type TokenAlgorithm, TYPE } from './type.js';

/** Per algorithm: key type, curve (CKA_EC_PARAMS), mechanisms, and the raw public point's length. */
const KINDS: Record<
  TokenAlgorithm,
  {
    readonly keyType: number;
    readonly params: Buffer;
    readonly generate: number;
    readonly sign: number;
    readonly point: number;
  }
> = {
  // CKK_EC_EDWARDS, the OID 1.3.101.112 (id-Ed25519), CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA.
  EdDSA: {
    keyType: 0x40,
    params: Buffer.from('06032b6570', 'hex'),
    generate: 0x1055,
    sign: 0x1057,
    point: 32,
  },
  // CKK_EC, the OID 1.2.840.10045.3.1.7 (prime256v1), CKM_EC_KEY_PAIR_GEN, CKM_ECDSA (over a SHA-256 digest
  // made here, so tokens without CKM_ECDSA_SHA256 work: the signature is r || s, JWS's form).
  ES256: {
    keyType: 0x3,
    params: Buffer.from('06082a8648ce3d030107', 'hex'),
    generate: 0x1040,
    sign: 0x1041,
    point: 65,
  },
};
const ALGORITHMS = Object.keys(KINDS) as TokenAlgorithm[];
/** The three steps of an id (see above); a version written before the steps existed has no nonce. */
const ID = /^phlow(?:-(pending|stamped))?:(\d{1,9}):(\d{1,15})(:[0-9a-f]{16})?$/;

type Handle = Buffer;

export interface TokenKey {
  readonly keyId: string;
  readonly version: number;
  readonly algorithm: TokenAlgorithm;
  /** `version` for a key version; `pending` / `stamped` for a pair on its way to one (see above). */
  readonly step: 'pending' | 'stamped' | 'version';
  /** The stamp; for a pending pair, when its generation started. */
  readonly createdAt: Date;
  /** Raw public key: 32 bytes (Ed25519), or the uncompressed 65-byte point 04 || x || y (P-256). */
  readonly publicKey: Buffer;
  readonly id: Buffer;
}

export interface Token {
  /** Every Phlow key version on the token (step 3), or those of one key id. */
  keys(keyId?: string): TokenKey[];
  /** The pairs of `keyId` on their way to a version (steps 1 and 2: in flight, or left by a dead process). */
  unconfirmed(keyId: string): TokenKey[];
  /**
   * A new pair for `version`, taken to step 2: stamped with the time its generation ended, as `stamp` gives it
   * at that moment (default: this host's clock; the store passes core's versionTimes so that a version is never
   * dated before the one it replaces). `stampedAt` is for tests that stand in for another process's pair.
   */
  generate(
    keyId: string,
    version: number,
    options?: {
      readonly algorithm?: TokenAlgorithm;
      readonly stamp?: () => Date;
      readonly stampedAt?: Date;
    },
  ): TokenKey;
  /** Step 3: the stamped pair `key` becomes a version, what readers use. */
  confirm(key: TokenKey): TokenKey;
  sign(key: TokenKey, data: Uint8Array): Uint8Array;
  /** Destroys both halves of each version given. */
  destroy(keys: readonly TokenKey[]): void;
  /** Destroys every object labelled `keyId`: versions, and halves a process left pending when it died. */
  destroyAll(keyId: string): void;
  close(): void;
}

interface Loaded {
  readonly p: pkcs11js.PKCS11;
  users: number;
  readonly finalize: boolean;
  /**
   * PKCS#11 logins belong to the application, not the session: once one store logged in to a token, a
   * second login answers CKR_USER_ALREADY_LOGGED_IN whatever PIN it was given. The PIN each token was
   * logged in with (hashed) is kept so that a store with another PIN is refused, not let in.
   */
  readonly logins: Map<string, string>;
}
const loaded = new Map<string, Loaded>();

function load(module: string): Loaded {
  const known = loaded.get(module);
  if (known) {
    known.users++;
    return known;
  }
  const p = new pkcs11js.PKCS11();
  try {
    p.load(module);
  } catch {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `cannot load the PKCS#11 module ${module}: check PHLOW_PKCS11_MODULE`,
      { storeType: TYPE },
    );
  }
  let finalize = true;
  try {
    p.C_Initialize();
  } catch (error) {
    if (!String((error as Error).message).includes('CKR_CRYPTOKI_ALREADY_INITIALIZED')) {
      throw toKeyStoreError(error, `initialising the PKCS#11 module ${module}`);
    }
    finalize = false; // someone else in this process initialised it and will finalise it
  }
  const entry = { p, users: 1, finalize, logins: new Map<string, string>() };
  loaded.set(module, entry);
  return entry;
}

function release(module: string, entry: Loaded): void {
  if (--entry.users > 0) return;
  loaded.delete(module);
  try {
    if (entry.finalize) entry.p.C_Finalize();
    entry.p.close();
  } catch {
    // Closing is best effort: the process is letting go of the module.
  }
}

/** Runs `fn` on an object another process may have destroyed since it was found: gone is undefined. */
function vanishing<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (String((error as Error).message).includes('CKR_OBJECT_HANDLE_INVALID')) return undefined;
    throw error;
  }
}

/**
 * Reads an object that another process may be stamping (see above: its CKA_ID grows between the length query
 * and the read, CKR_BUFFER_TOO_SMALL): read again once; still changing, it is not a version yet (undefined).
 */
function settled<T>(fn: () => T): T | undefined {
  for (let attempt = 0; ; attempt++) {
    try {
      return vanishing(fn);
    } catch (error) {
      if (!String((error as Error).message).includes('CKR_BUFFER_TOO_SMALL')) throw error;
      if (attempt >= 1) return undefined;
    }
  }
}

/**
 * Opens a session on the token labelled `config.token` and logs in. `finalAttempt: false` lets a caller retry a
 * token whose label read empty: SoftHSM2 shows a token's label as "" while another process rewrites the token's
 * file, so a missing label is UNAVAILABLE (retry) then, and INVALID_CONFIG only on the final attempt.
 */
export function openToken(config: Pkcs11Config, { finalAttempt = true } = {}): Token {
  const entry = load(config.module);
  const { p } = entry;
  let session: Handle;
  try {
    const slots = p.C_GetSlotList(true);
    const labels = slots.map((slot) => p.C_GetTokenInfo(slot).label.trim());
    const index = labels.indexOf(config.token);
    if (index < 0 && !finalAttempt && labels.includes('')) {
      throw new KeyStoreError(
        'UNAVAILABLE',
        `token ${JSON.stringify(config.token)} not found while a token label reads empty (being written?)`,
        { storeType: TYPE },
      );
    }
    if (index < 0) {
      throw new KeyStoreError(
        'INVALID_CONFIG',
        `no token labelled ${JSON.stringify(config.token)} in ${config.module} (tokens present: ${labels.map((l) => JSON.stringify(l)).join(', ') || 'none'}): check PHLOW_PKCS11_TOKEN`,
        { storeType: TYPE },
      );
    }
    session = p.C_OpenSession(slots[index]!, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
    const pinHash = createHash('sha256').update(config.pin).digest('hex');
    try {
      p.C_Login(session, pkcs11js.CKU_USER, config.pin);
      entry.logins.set(config.token, pinHash);
    } catch (error) {
      if (!String((error as Error).message).includes('CKR_USER_ALREADY_LOGGED_IN')) throw error;
      const known = entry.logins.get(config.token);
      if (known !== undefined && known !== pinHash) {
        p.C_CloseSession(session);
        throw new KeyStoreError(
          'ACCESS_DENIED',
          `this process is logged in to token ${JSON.stringify(config.token)} with another PIN: check ${config.pinSource}`,
          { storeType: TYPE },
        );
      }
    }
  } catch (error) {
    release(config.module, entry);
    throw toKeyStoreError(
      error,
      `opening token ${JSON.stringify(config.token)}`,
      undefined,
      config.pinSource,
    );
  }

  const find = (template: pkcs11js.Template): Handle[] => {
    p.C_FindObjectsInit(session, template);
    try {
      const found: Handle[] = [];
      for (;;) {
        const batch = p.C_FindObjects(session, 64);
        if (batch.length === 0) return found;
        found.push(...batch);
      }
    } finally {
      p.C_FindObjectsFinal(session);
    }
  };
  const halves = (key: TokenKey): Handle[] =>
    find([
      { type: pkcs11js.CKA_LABEL, value: key.keyId },
      { type: pkcs11js.CKA_ID, value: key.id },
    ]);

  const read = (handle: Handle, algorithm: TokenAlgorithm): TokenKey | undefined => {
    const [label, id, point] = p.C_GetAttributeValue(session, handle, [
      { type: pkcs11js.CKA_LABEL },
      { type: pkcs11js.CKA_ID },
      { type: pkcs11js.CKA_EC_POINT },
    ]);
    const idBytes = id?.value as Buffer | undefined;
    const match = idBytes ? ID.exec(idBytes.toString('latin1')) : null;
    // A version written before the steps existed has no nonce; a pair on its way to one always has.
    if (match?.[1] !== undefined && match[4] === undefined) return undefined;
    const raw = point?.value as Buffer | undefined;
    const size = KINDS[algorithm].point;
    // CKA_EC_POINT is a DER OCTET STRING (04 <length> ...) on most tokens, the bare point on some.
    const publicKey = raw?.length === size + 2 && raw[0] === 0x04 && raw[1] === size ? raw.subarray(2) : raw;
    const labelBytes = label?.value as Buffer | undefined;
    if (!match || !idBytes || !labelBytes || publicKey?.length !== size) return undefined;
    if (algorithm === 'ES256' && publicKey[0] !== 0x04) return undefined;
    return {
      keyId: labelBytes.toString('utf8'),
      version: Number(match[2]),
      algorithm,
      step: (match[1] as 'pending' | 'stamped' | undefined) ?? 'version',
      createdAt: new Date(Number(match[3])),
      publicKey: Buffer.from(publicKey),
      id: Buffer.from(idBytes),
    };
  };

  /** Every pair (public halves read) of one key id, or of all, at every step. */
  const pairs = (keyId?: string): TokenKey[] => {
    const found: TokenKey[] = [];
    for (const algorithm of ALGORITHMS) {
      const template: pkcs11js.Template = [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: KINDS[algorithm].keyType },
        { type: pkcs11js.CKA_EC_PARAMS, value: KINDS[algorithm].params },
        ...(keyId === undefined ? [] : [{ type: pkcs11js.CKA_LABEL, value: keyId }]),
      ];
      for (const handle of find(template)) {
        const key = settled(() => read(handle, algorithm));
        if (key) found.push(key);
      }
    }
    return found;
  };
  /** Writes `id` on both halves of `key`, private half first (see above), and reads the public half back. */
  const relabel = (key: TokenKey, id: Buffer): TokenKey | undefined => {
    const [priv, pub] = [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY].map((cls) =>
      find([
        { type: pkcs11js.CKA_CLASS, value: cls },
        { type: pkcs11js.CKA_LABEL, value: key.keyId },
        { type: pkcs11js.CKA_ID, value: key.id },
      ]),
    );
    if (priv?.length !== 1 || pub?.length !== 1) return undefined;
    p.C_SetAttributeValue(session, priv[0]!, [{ type: pkcs11js.CKA_ID, value: id }]);
    p.C_SetAttributeValue(session, pub[0]!, [{ type: pkcs11js.CKA_ID, value: id }]);
    return read(pub[0]!, key.algorithm);
  };

  return {
    keys: (keyId) => pairs(keyId).filter((k) => k.step === 'version'),
    unconfirmed: (keyId) => pairs(keyId).filter((k) => k.step !== 'version'),
    confirm(key) {
      const id = Buffer.from(key.id.toString('latin1').replace(/^phlow-stamped:/, 'phlow:'), 'latin1');
      const confirmed = relabel(key, id);
      if (!confirmed) {
        throw new KeyStoreError(
          'UNAVAILABLE',
          `the new version of "${key.keyId}" vanished from the token before it was complete: rotate again`,
          { storeType: TYPE, keyId: key.keyId },
        );
      }
      return confirmed;
    },
    generate(keyId, version, { algorithm = 'EdDSA', stamp = () => new Date(), stampedAt } = {}) {
      const kind = KINDS[algorithm];
      const nonce = randomBytes(8).toString('hex');
      // Step 1, then 2: see the file's opening comment.
      const pending = Buffer.from(`phlow-pending:${version}:${Date.now()}:${nonce}`, 'latin1');
      const pair = p.C_GenerateKeyPair(
        session,
        { mechanism: kind.generate },
        [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_PRIVATE, value: false },
          { type: pkcs11js.CKA_VERIFY, value: true },
          { type: pkcs11js.CKA_EC_PARAMS, value: kind.params },
          { type: pkcs11js.CKA_LABEL, value: keyId },
          { type: pkcs11js.CKA_ID, value: pending },
        ],
        [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SIGN, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          { type: pkcs11js.CKA_LABEL, value: keyId },
          { type: pkcs11js.CKA_ID, value: pending },
        ],
      );
      const discard = () => {
        for (const handle of [pair.privateKey, pair.publicKey])
          vanishing(() => p.C_DestroyObject(session, handle));
      };
      let key: TokenKey | undefined;
      try {
        const [sensitive, extractable] = p.C_GetAttributeValue(session, pair.privateKey, [
          { type: pkcs11js.CKA_SENSITIVE },
          { type: pkcs11js.CKA_EXTRACTABLE },
        ]);
        if ((sensitive?.value as Buffer)?.[0] && !(extractable?.value as Buffer)?.[0]) {
          const createdAt = stampedAt ?? stamp();
          const id = Buffer.from(`phlow-stamped:${version}:${createdAt.getTime()}:${nonce}`, 'latin1');
          p.C_SetAttributeValue(session, pair.privateKey, [{ type: pkcs11js.CKA_ID, value: id }]);
          p.C_SetAttributeValue(session, pair.publicKey, [{ type: pkcs11js.CKA_ID, value: id }]);
          key = read(pair.publicKey, algorithm);
        }
      } catch (error) {
        discard();
        throw error;
      }
      if (!key) {
        discard();
        throw new KeyStoreError(
          'UNSUPPORTED',
          `the token did not make "${keyId}" sensitive and non-extractable (or returned no ${algorithm === 'ES256' ? 'P-256' : 'Ed25519'} public key), so the new key was destroyed: use a token that honours CKA_SENSITIVE / CKA_EXTRACTABLE`,
          { storeType: TYPE, keyId },
        );
      }
      return key;
    },
    sign(key, data) {
      const [handle] = find([
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_LABEL, value: key.keyId },
        { type: pkcs11js.CKA_ID, value: key.id },
      ]);
      if (!handle) {
        throw new KeyStoreError(
          'NOT_FOUND',
          `the token has no private key for "${key.keyId}" version ${key.version}`,
          {
            storeType: TYPE,
            keyId: key.keyId,
          },
        );
      }
      const message = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      p.C_SignInit(session, { mechanism: KINDS[key.algorithm].sign }, handle);
      return new Uint8Array(
        p.C_Sign(
          session,
          key.algorithm === 'ES256' ? createHash('sha256').update(message).digest() : message,
          Buffer.alloc(64),
        ),
      );
    },
    destroy(keys) {
      for (const key of keys) {
        for (const handle of halves(key)) vanishing(() => p.C_DestroyObject(session, handle));
      }
    },
    destroyAll(keyId) {
      for (const handle of find([{ type: pkcs11js.CKA_LABEL, value: keyId }]))
        vanishing(() => p.C_DestroyObject(session, handle));
    },
    close() {
      try {
        p.C_CloseSession(session);
      } catch {
        // already closed with the token
      }
      release(config.module, entry);
    },
  };
}
