/**
 * Where a key id's KMS keys are found: aliases, the one KMS name that can be created only once (so creating
 * the alias of version n+1 is the compare-and-set of a rotation). `alias/phlow/<id>` names the current key,
 * `alias/phlow/<id>/v<n>` version n. Key ids may hold `.`, which alias names may not: `_` is written `__` and
 * `.` is written `_d`, a reversible encoding.
 */
import { KeyStoreError } from '@phlow/keys-core';

export const TYPE = 'aws_kms';
export const PREFIX = 'alias/phlow/';
const MAX_ALIAS = 256;

export function encodeId(keyId: string): string {
  return keyId.replace(/_/g, '__').replace(/\./g, '_d');
}

export function decodeId(encoded: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  let out = '';
  for (let i = 0; i < encoded.length; i++) {
    const c = encoded[i]!;
    if (c !== '_') {
      out += c;
      continue;
    }
    const next = encoded[++i];
    if (next === '_') out += '_';
    else if (next === 'd') out += '.';
    else return undefined;
  }
  return out;
}

export function currentAlias(keyId: string): string {
  return checked(`${PREFIX}${encodeId(keyId)}`, keyId);
}

export function versionAlias(keyId: string, version: number): string {
  return checked(`${PREFIX}${encodeId(keyId)}/v${version}`, keyId);
}

/** The key id and version an alias names, or undefined for aliases that are not ours. */
export function parseAlias(alias: string): { keyId: string; version: number | undefined } | undefined {
  if (!alias.startsWith(PREFIX)) return undefined;
  const [encoded, v, ...rest] = alias.slice(PREFIX.length).split('/');
  if (encoded === undefined || rest.length > 0) return undefined;
  const keyId = decodeId(encoded);
  if (keyId === undefined) return undefined;
  if (v === undefined) return { keyId, version: undefined };
  const m = /^v([1-9]\d{0,8})$/.exec(v);
  return m ? { keyId, version: Number(m[1]) } : undefined;
}

function checked(alias: string, keyId: string): string {
  if (alias.length + 10 > MAX_ALIAS) {
    throw new KeyStoreError(
      'INVALID_KEY_ID',
      `key id "${keyId}" is too long for a KMS alias (at most 256 characters with the alias/phlow/ prefix and version): use a shorter id`,
      { storeType: TYPE, keyId },
    );
  }
  return alias;
}
