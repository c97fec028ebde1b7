/**
 * Verifying a signed request, framework-free: a fetch `Request` in, a result out (or an HttpSigError with a
 * code). The order of checks keeps hostile input cheap: header sizes and structure, labels, tag, algorithm,
 * time window, covered components, then the Signature-Agent policy (nothing is fetched for an origin outside
 * it), then the key, the signature, the body digest, and last the nonce (recorded only for a signature that
 * verified, so a forger cannot burn a nonce). One audit event per verification, success or refusal.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ALGORITHMS, type KeyAlgorithm, keyAlgorithm, recordAuditEvent } from '@phlow/keys-core';
import { keyAlgorithmOf } from './alg-names.js';
import { checkContentDigest } from './content-digest.js';
import { HttpSigError, isHttpSigError } from './errors.js';
import { DirectoryKeySets, type DirectoryPolicy, directoryUrl, type LocalKeys } from './key-source.js';
import {
  checkedMaxBodyBytes,
  DEFAULT_MAX_BODY_BYTES,
  type HttpMessage,
  messageOfRequest,
} from './message.js';
import type { NonceStore } from './nonce-store.js';
import { MAX_EXPIRES_IN_SECONDS, WEB_BOT_AUTH_TAG } from './sign.js';
import { authority, signatureBase } from './signature-base.js';
import {
  type InnerList,
  isInnerList,
  type Member,
  parseDictionary,
  parseItem,
  Token,
} from './structured-fields.js';

/** Largest Signature-Input, Signature or Signature-Agent header accepted: 8 KiB. */
export const MAX_SIGNATURE_HEADER_BYTES = 8192;
/** Longest `nonce` accepted (each one seen is kept by the nonce store until its signature expires): 256. */
export const MAX_NONCE_LENGTH = 256;
/** Default clock skew allowed on `created` and `expires`: 60 s. */
export const DEFAULT_SKEW_SECONDS = 60;

export interface VerifyRequestOptions {
  /** Resolve `Signature-Agent` to a directory under this policy. One of `directory` and `keys` is required. */
  readonly directory?: DirectoryPolicy;
  /** Verify against a local KeyManager's keys of one id instead. */
  readonly keys?: LocalKeys;
  /**
   * The authorities (`host`, or `host:port` when the port is not the scheme's default) this verifier answers
   * for. A request whose URL names another is AUTHORITY_REFUSED before anything is fetched: pass it whenever
   * the Request's URL is built from the Host header, or a request signed for another origin (which that
   * origin saw) verifies here. Default: any (the URL is trusted to be this server's).
   */
  readonly authorities?: readonly string[];
  /** Required `tag`. Default: `web-bot-auth`; `null` accepts any tag (and none). */
  readonly tag?: string | null;
  /** Clock skew allowed on `created` (future) and `expires` (past), seconds. Default: 60. */
  readonly skewSeconds?: number;
  /** Longest accepted `expires - created`, seconds. Default: 86400 (24 h). */
  readonly maxValiditySeconds?: number;
  /** Require `expires`. Default: true (the Web Bot Auth profile). */
  readonly requireExpires?: boolean;
  /** Refuse replays: a (keyid, nonce) seen before is REPLAYED, and a signature without a nonce too. */
  readonly nonceStore?: NonceStore;
  /** Most body bytes read to check Content-Digest. Default: 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Require `content-digest` to be covered when the request has a body. Default: true. */
  readonly requireDigest?: boolean;
  /** Where the audit event goes: a KeyManager's `recordAudit`. Default: `PHLOW_KEY_AUDIT_LOG` of process.env. */
  readonly audit?: { recordAudit: LocalKeys['manager']['recordAudit'] };
  /** Clock, ms. Default: Date.now. */
  readonly now?: () => number;
}

export interface VerifiedRequest {
  readonly label: string;
  readonly keyid: string;
  readonly alg: KeyAlgorithm;
  /** The Signature-Agent value (directory mode), as sent. */
  readonly agent?: string;
  /** The directory URL the key came from (directory mode). */
  readonly directory?: string;
  readonly created: number;
  readonly expires?: number;
  readonly nonce?: string;
  readonly tag?: string;
  /** The covered components, as serialized in Signature-Input. */
  readonly components: readonly string[];
}

/** A reusable verifier: it keeps the directory key sets between requests. */
export interface RequestVerifier {
  verify(request: Request): Promise<VerifiedRequest>;
  verifyMessage(message: HttpMessage): Promise<VerifiedRequest>;
  close(): void;
}

interface Parsed {
  readonly label: string;
  readonly list: InnerList;
  readonly signature: Uint8Array;
}

function header(message: HttpMessage, name: string): string | undefined {
  const value = message.header(name);
  if (value !== undefined && value.length > MAX_SIGNATURE_HEADER_BYTES) {
    throw new HttpSigError('MALFORMED', `the ${name} header is over ${MAX_SIGNATURE_HEADER_BYTES} bytes`);
  }
  return value;
}

function parseSignatures(message: HttpMessage, tag: string | null): Parsed {
  const inputHeader = header(message, 'signature-input');
  const sigHeader = header(message, 'signature');
  if (inputHeader === undefined || sigHeader === undefined) {
    throw new HttpSigError(
      'MISSING_SIGNATURE',
      'the request has no Signature-Input and Signature headers: sign it',
    );
  }
  const duplicate = () => {
    throw new HttpSigError('DUPLICATE_LABEL', 'a signature label appears twice: refused as ambiguous');
  };
  const inputs = parseDictionary(inputHeader, 'Signature-Input', { maxMembers: 16, onDuplicate: duplicate });
  const sigs = parseDictionary(sigHeader, 'Signature', { maxMembers: 16, onDuplicate: duplicate });
  let candidates = [...inputs.keys()].filter((label) => sigs.has(label));
  if (candidates.length === 0)
    throw new HttpSigError(
      'MISSING_SIGNATURE',
      'no signature label is in both Signature-Input and Signature',
    );
  if (tag !== null) {
    candidates = candidates.filter((label) => {
      const m = inputs.get(label) as Member;
      return isInnerList(m) && m.params.get('tag') === tag;
    });
    if (candidates.length === 0) {
      throw new HttpSigError('TAG_MISMATCH', `no signature has tag="${tag}": sign with the ${tag} profile`);
    }
    if (candidates.length > 1)
      throw new HttpSigError('DUPLICATE_LABEL', `more than one signature has tag="${tag}"`);
  }
  const label = candidates[0] as string;
  const list = inputs.get(label) as Member;
  const sig = sigs.get(label) as Member;
  if (!isInnerList(list))
    throw new HttpSigError('MALFORMED', 'a Signature-Input member is not an inner list');
  if (isInnerList(sig) || !(sig.value instanceof Uint8Array)) {
    throw new HttpSigError('MALFORMED', 'a Signature member is not a byte sequence');
  }
  return { label, list, signature: sig.value };
}

function intParam(list: InnerList, name: string): number | undefined {
  const v = list.params.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new HttpSigError('PARAMS_INVALID', `${name} is not an integer`);
  return v;
}
function stringParam(list: InnerList, name: string): string | undefined {
  const v = list.params.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new HttpSigError('PARAMS_INVALID', `${name} is not a string`);
  return v;
}

/** The Signature-Agent value for `label`: a dictionary member, or (web-bot-auth 0.1.x) a bare string. */
function agentOf(message: HttpMessage, label: string, list: InnerList): { value: string; type: string } {
  const raw = header(message, 'signature-agent');
  if (raw === undefined) throw new HttpSigError('AGENT_REFUSED', 'the request has no Signature-Agent header');
  const covered = list.items.find((i) => i.value === 'signature-agent');
  if (!covered) throw new HttpSigError('COMPONENT_MISSING', 'the signature does not cover signature-agent');
  const key = covered.params.get('key');
  let member: Member | undefined;
  if (typeof key === 'string') {
    member = parseDictionary(raw, 'Signature-Agent', { maxMembers: 16 }).get(key);
  } else if (raw.trim().startsWith('"')) {
    member = parseItem(raw, 'Signature-Agent');
  } else {
    const dict = parseDictionary(raw, 'Signature-Agent', { maxMembers: 16 });
    member = dict.get(label) ?? (dict.size === 1 ? [...dict.values()][0] : undefined);
  }
  if (!member || isInnerList(member) || typeof member.value !== 'string') {
    throw new HttpSigError('AGENT_REFUSED', 'Signature-Agent has no string member for this signature');
  }
  const type = member.params.get('type');
  return {
    value: member.value,
    type: type === undefined ? 'directory' : type instanceof Token ? type.value : '',
  };
}

/** Creates a verifier; `verify(request)` answers a VerifiedRequest or throws an HttpSigError. */
export function createRequestVerifier(options: VerifyRequestOptions): RequestVerifier {
  if (!options || (!options.directory && !options.keys)) {
    throw new HttpSigError(
      'INVALID_ARGUMENT',
      'verifying needs options.directory (a policy) or options.keys (a KeyManager and key id)',
    );
  }
  const now = options.now ?? Date.now;
  // A NaN or negative bound is refused here: every comparison with NaN is false, which would turn the time
  // checks (or the body bound) off rather than on.
  const whole = (name: string, value: number | undefined, fallback: number, min: number, max: number) => {
    if (value === undefined) return fallback;
    if (!(Number.isSafeInteger(value) && value >= min && value <= max)) {
      throw new HttpSigError('INVALID_ARGUMENT', `${name} must be a whole number from ${min} to ${max}`);
    }
    return value;
  };
  const skew = whole('skewSeconds', options.skewSeconds, DEFAULT_SKEW_SECONDS, 0, 3600);
  const maxValidity = whole(
    'maxValiditySeconds',
    options.maxValiditySeconds,
    MAX_EXPIRES_IN_SECONDS,
    1,
    MAX_EXPIRES_IN_SECONDS,
  );
  const maxBodyBytes = checkedMaxBodyBytes(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  const tag = options.tag === undefined ? WEB_BOT_AUTH_TAG : options.tag;
  const sets = options.directory ? new DirectoryKeySets(options.directory, options.now) : undefined;
  if (
    options.authorities !== undefined &&
    !(Array.isArray(options.authorities) && options.authorities.every((a) => typeof a === 'string'))
  ) {
    throw new HttpSigError('INVALID_ARGUMENT', 'authorities must be a list of host[:port] strings');
  }
  const authorities = options.authorities && new Set(options.authorities.map((a) => a.toLowerCase()));

  async function check(
    message: HttpMessage,
    noted: { kid?: string; keyId?: string },
  ): Promise<VerifiedRequest> {
    if (authorities && !authorities.has(authority(message.url))) {
      throw new HttpSigError(
        'AUTHORITY_REFUSED',
        'the request is addressed to an authority outside options.authorities: a request signed for another origin is refused',
      );
    }
    const { label, list, signature } = parseSignatures(message, tag);
    const keyid = stringParam(list, 'keyid');
    if (keyid === undefined || keyid.length > 256)
      throw new HttpSigError('PARAMS_INVALID', 'keyid is missing or too long');
    noted.kid = keyid;
    const algName = stringParam(list, 'alg');
    const algParam = algName === undefined ? undefined : keyAlgorithmOf(algName);
    if (algName !== undefined && algParam === undefined) {
      throw new HttpSigError(
        'ALG_REFUSED',
        'alg is not one we accept (ed25519, ecdsa-p256-sha256, rsa-v1_5-sha256; never HMAC)',
      );
    }
    const created = intParam(list, 'created');
    const expires = intParam(list, 'expires');
    if (created === undefined) throw new HttpSigError('PARAMS_INVALID', 'created is missing');
    if (expires === undefined && options.requireExpires !== false)
      throw new HttpSigError('PARAMS_INVALID', 'expires is missing');
    const t = Math.floor(now() / 1000);
    if (expires !== undefined) {
      if (expires < created) throw new HttpSigError('PARAMS_INVALID', 'expires is before created');
      if (expires - created > maxValidity)
        throw new HttpSigError('PARAMS_INVALID', `the signature is valid for over ${maxValidity} s`);
      if (expires < t - skew)
        throw new HttpSigError('EXPIRED', `the signature expired (skew ${skew} s): sign the request again`);
    }
    if (expires === undefined && created < t - skew - maxValidity) {
      // Without `expires`, `created` alone bounds the signature's life: no older than maxValiditySeconds.
      throw new HttpSigError(
        'EXPIRED',
        `created is over ${maxValidity} s ago (maxValiditySeconds, skew ${skew} s): sign the request again`,
      );
    }
    if (created > t + skew)
      throw new HttpSigError(
        'NOT_YET_VALID',
        `created is in the future (skew ${skew} s): check the signer's clock`,
      );
    const names = list.items.map((i) => i.value);
    if (!names.includes('@authority') && !names.includes('@target-uri')) {
      throw new HttpSigError('COMPONENT_MISSING', 'the signature covers neither @authority nor @target-uri');
    }
    const hasBody = message.body !== undefined && message.body.byteLength > 0;
    if (hasBody && options.requireDigest !== false && !names.includes('content-digest')) {
      throw new HttpSigError(
        'COMPONENT_MISSING',
        'the request has a body but the signature does not cover content-digest',
      );
    }
    const nonce = stringParam(list, 'nonce');
    if (nonce !== undefined && nonce.length > MAX_NONCE_LENGTH)
      throw new HttpSigError('PARAMS_INVALID', `nonce is over ${MAX_NONCE_LENGTH} characters`);
    if (options.nonceStore && nonce === undefined) {
      throw new HttpSigError('REPLAYED', 'the signature has no nonce, and this verifier refuses replays');
    }
    const base = signatureBase(message, list);

    let alg: KeyAlgorithm;
    let agent: string | undefined;
    let directory: string | undefined;
    // Whose nonce it is, for the nonce store's per-signer bound: set below only once the signature verified.
    let signer: string;
    if (sets && options.directory) {
      const a = agentOf(message, label, list);
      agent = a.value;
      directory = directoryUrl(a.value, a.type, options.directory);
      let key: { alg: string; key: KeyObject } | undefined;
      try {
        key = await (await sets.get(directory)).getKey(keyid);
      } catch (error) {
        if (isHttpSigError(error)) throw error;
        throw new HttpSigError(
          'DIRECTORY_UNAVAILABLE',
          'the agent directory could not be fetched or was refused',
          { cause: error },
        );
      }
      if (!key) throw new HttpSigError('KEY_UNKNOWN', 'keyid is not a current key of the agent directory');
      alg = tableAlgorithm(key.key);
      if (algParam !== undefined && algParam !== alg)
        throw new HttpSigError('ALG_REFUSED', 'alg does not fit the key');
      if (!ALGORITHMS[alg].verifier(key.key)(new TextEncoder().encode(base), signature)) {
        throw new HttpSigError(
          'SIGNATURE_INVALID',
          'the signature does not verify: a covered component was changed, or another key signed',
        );
      }
      // The directory (its normalised URL), not the keyid: one agent publishes many keys, which would each get
      // a share of their own. Not the origin either: a platform origin serving several tenants' directories
      // would make one tenant's traffic lock the others out. One origin holds at most
      // maxDirectoriesPerOrigin shares, the bound on directories it can name.
      signer = directory;
    } else {
      const local = options.keys as LocalKeys;
      const keyId =
        typeof local.keyId === 'string' ? local.keyId : local.keyId(message.header('signature-agent'));
      noted.keyId = keyId;
      let pairs: readonly LocalPair[];
      try {
        // The id may come from the request (keyId as a function of Signature-Agent): read through the
        // unverified-read gate, so a forged one costs no per-id store read.
        pairs = await local.manager.getVerificationKeys(keyId, { unverified: true });
      } catch (error) {
        if ((error as { code?: string }).code === 'NOT_FOUND')
          throw new HttpSigError('KEY_UNKNOWN', 'the key id has no keys', { cause: error });
        throw error;
      }
      const pair = pairs.find((p) => p.kid === keyid);
      if (!pair) throw new HttpSigError('KEY_UNKNOWN', 'keyid is not a current key of the local key id');
      alg = pair.alg;
      if (algParam !== undefined && algParam !== alg)
        throw new HttpSigError('ALG_REFUSED', 'alg does not fit the key');
      // The key keyid names, checked with core's table (KeyManager.verify would try every verifying key of
      // the id, and record an audit event of its own: this verification records exactly one, below).
      if (!ALGORITHMS[alg].verifier(localKey(pair))(new TextEncoder().encode(base), signature)) {
        throw new HttpSigError(
          'SIGNATURE_INVALID',
          'the signature does not verify: a covered component was changed, or another key signed',
        );
      }
      signer = keyId;
    }
    if (names.includes('content-digest')) {
      // Checked whenever it is covered: a message given without its body (verifyMessage of a view whose body
      // was not read) is checked as empty, so a covered digest never passes for a body nobody compared.
      try {
        checkContentDigest(message.header('content-digest') ?? '', message.body ?? new Uint8Array(0));
      } catch (error) {
        if (message.body === undefined && isHttpSigError(error, 'DIGEST_MISMATCH')) {
          throw new HttpSigError(
            'DIGEST_MISMATCH',
            'content-digest is covered but the message was given without its body: pass the body read (bounded)',
          );
        }
        throw error;
      }
    }
    if (options.nonceStore && nonce !== undefined) {
      // Kept to the end of the last whole second in which the signature is still accepted: the time checks
      // compare whole seconds, so a nonce forgotten at the start of that second could be replayed in it. A
      // store's refusal (NONCE_STORE_FULL, NONCE_QUOTA_EXCEEDED: HttpSigErrors) goes on as it is.
      const fresh = await options.nonceStore.remember(
        `${keyid} ${nonce}`,
        ((expires ?? created + maxValidity) + skew + 1) * 1000,
        { signer },
      );
      if (!fresh)
        throw new HttpSigError('REPLAYED', 'this signature (keyid and nonce) was seen before: a replay');
    }
    return {
      label,
      keyid,
      alg,
      ...(agent !== undefined ? { agent } : {}),
      ...(directory !== undefined ? { directory } : {}),
      created,
      ...(expires !== undefined ? { expires } : {}),
      ...(nonce !== undefined ? { nonce } : {}),
      ...(typeof list.params.get('tag') === 'string' ? { tag: list.params.get('tag') as string } : {}),
      components: list.items.map(
        (i) => `"${String(i.value)}"${[...i.params].map(([k, v]) => `;${k}="${String(v)}"`).join('')}`,
      ),
    };
  }

  async function verifyMessage(message: HttpMessage): Promise<VerifiedRequest> {
    const started = performance.now();
    const noted: { kid?: string; keyId?: string } = {};
    try {
      const result = await check(message, noted);
      audit(started, noted, { valid: true, kid: result.keyid });
      return result;
    } catch (error) {
      const code = isHttpSigError(error) ? error.code : ((error as { code?: string }).code ?? 'ERROR');
      audit(started, noted, { valid: false, errorCode: code });
      throw error;
    }
  }

  function audit(
    started: number,
    noted: { kid?: string; keyId?: string },
    fields: { valid: boolean; kid?: string; errorCode?: string },
  ): void {
    // The keyid of a refused request is attacker input: it is not recorded.
    const record = {
      ...(fields.valid && fields.kid ? { kid: fields.kid } : {}),
      valid: fields.valid,
      ...(fields.errorCode ? { errorCode: fields.errorCode } : {}),
    };
    const target = options.audit ?? options.keys?.manager;
    if (target) target.recordAudit('verify', noted.keyId, started, record);
    else recordAuditEvent(process.env, 'verify', started, { storeType: 'httpsig', ...record });
  }

  return {
    async verify(request) {
      return verifyMessage(await messageOfRequest(request, maxBodyBytes));
    },
    verifyMessage,
    close() {
      sets?.close();
    },
  };
}

/** What the local mode reads of a verifying key (PublicKeyPair fits). */
interface LocalPair {
  readonly kid: string;
  readonly alg: KeyAlgorithm;
  readonly publicKey: string;
}

/** Parsed public keys of local pairs (KeyManager hands out the same pair objects while its view is fresh). */
const localKeys = new WeakMap<LocalPair, KeyObject>();
function localKey(pair: LocalPair): KeyObject {
  let key = localKeys.get(pair);
  if (!key) {
    key = createPublicKey(pair.publicKey);
    localKeys.set(pair, key);
  }
  return key;
}

/** The table's algorithm of a directory key (its rule applied: small-order Ed25519, short RSA refused). */
function tableAlgorithm(key: KeyObject): KeyAlgorithm {
  try {
    return keyAlgorithm(key.type === 'private' ? createPublicKey(key) : key);
  } catch (error) {
    throw new HttpSigError('ALG_REFUSED', 'the directory key is of a type or size nothing verifies with', {
      cause: error,
    });
  }
}

/** One-shot verification (a verifier made and closed for one request; keep a verifier to reuse its cache). */
export async function verifyRequest(
  request: Request,
  options: VerifyRequestOptions,
): Promise<VerifiedRequest> {
  const verifier = createRequestVerifier(options);
  try {
    return await verifier.verify(request);
  } finally {
    verifier.close();
  }
}
