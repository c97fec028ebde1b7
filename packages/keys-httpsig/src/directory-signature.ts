/**
 * Checking a directory's response signature (the directory draft: each key of the directory signs the
 * response, tag `http-message-signatures-directory`, covering `"@authority";req`). It proves that whoever
 * serves the directory holds the private keys it publishes, so a directory copied to another origin, or a
 * key set served by someone without the keys, is refused. Used as keys-jwt's `validate` hook: it sees the
 * 200 response before any key of it is used. At least one signature by a key of the body must verify; every
 * signature with the tag that names a key of the body must verify.
 */
import { ALGORITHMS } from '@phlow/keys-core';
import { parseStrictJson, type RemoteKey, remoteKeyOf } from '@phlow/keys-jwt/jwk-set';
import { keyAlgorithmOf } from './alg-names.js';
import { HttpSigError } from './errors.js';
import { signatureBase } from './signature-base.js';
import { isInnerList, parseDictionary } from './structured-fields.js';

export const DIRECTORY_SIGNATURE_TAG = 'http-message-signatures-directory';

/** Throws unless the response carries a valid directory signature by one of the keys in its body. */
export function checkDirectorySignature(
  directoryUrl: string,
  response: { readonly headers: Headers; readonly body: Uint8Array },
  nowMs: number,
  skewSeconds = 60,
): void {
  const input = response.headers.get('signature-input');
  const sig = response.headers.get('signature');
  if (!input || !sig)
    throw new HttpSigError(
      'MISSING_SIGNATURE',
      'the directory response is not signed, and the policy requires it',
    );
  const duplicate = () => {
    throw new HttpSigError('DUPLICATE_LABEL', 'a directory signature label appears twice');
  };
  const inputs = parseDictionary(input, 'Signature-Input', { maxMembers: 16, onDuplicate: duplicate });
  const sigs = parseDictionary(sig, 'Signature', { maxMembers: 16, onDuplicate: duplicate });
  // The body as keys-jwt's remote key set reads it: strict JSON (no member name twice), and each member
  // through its one JWK check (public members, core's table, RSA cost bounds, kid = thumbprint). A member the
  // set would skip cannot sign the directory either.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(response.body);
  } catch {
    throw new HttpSigError('MALFORMED', 'the directory body is not UTF-8');
  }
  const parsed = parseStrictJson(text);
  if ('refused' in parsed) throw new HttpSigError('MALFORMED', `the directory body: ${parsed.refused}`);
  const members = (parsed.value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(members)) throw new HttpSigError('MALFORMED', 'the directory body has no keys array');
  const keys = new Map<string, RemoteKey>();
  for (const member of members) {
    const key = remoteKeyOf(member);
    if ('kid' in key) keys.set(key.kid, key);
  }
  const request = { method: 'GET', url: new URL(directoryUrl), header: () => undefined };
  const t = Math.floor(nowMs / 1000);
  let verified = 0;
  for (const [label, list] of inputs) {
    if (!isInnerList(list) || list.params.get('tag') !== DIRECTORY_SIGNATURE_TAG) continue;
    const keyid = list.params.get('keyid');
    const remote = typeof keyid === 'string' ? keys.get(keyid) : undefined;
    if (!remote) continue;
    const value = sigs.get(label);
    if (!value || isInnerList(value) || !(value.value instanceof Uint8Array)) {
      throw new HttpSigError('MALFORMED', 'a directory signature has no Signature member');
    }
    const created = list.params.get('created');
    const expires = list.params.get('expires');
    if (typeof created !== 'number' || typeof expires !== 'number') {
      throw new HttpSigError('PARAMS_INVALID', 'a directory signature lacks created or expires');
    }
    if (expires < t - skewSeconds) throw new HttpSigError('EXPIRED', 'the directory signature expired');
    if (created > t + skewSeconds)
      throw new HttpSigError('NOT_YET_VALID', 'the directory signature is from the future');
    if (!list.items.some((i) => i.value === '@authority' && i.params.get('req') === true)) {
      throw new HttpSigError('COMPONENT_MISSING', 'the directory signature does not cover "@authority";req');
    }
    const { key, alg } = remote;
    const named = list.params.get('alg');
    if (named !== undefined && (typeof named !== 'string' || keyAlgorithmOf(named) !== alg)) {
      throw new HttpSigError('ALG_REFUSED', 'the directory signature alg does not fit its key');
    }
    const base = signatureBase(request, list, true);
    if (!ALGORITHMS[alg].verifier(key)(new TextEncoder().encode(base), value.value)) {
      throw new HttpSigError(
        'SIGNATURE_INVALID',
        'a directory signature does not verify: the directory was not signed by the keys it publishes, or for another origin',
      );
    }
    verified++;
  }
  if (verified === 0) {
    throw new HttpSigError(
      'MISSING_SIGNATURE',
      'no directory signature by a key of the directory: the policy requires one',
    );
  }
}
