/**
 * Is this "public key" really only a public key? A store, an environment variable or a caller can put a
 * private key where the public half belongs, and node:crypto's createPublicKey happily derives a public key
 * from it, so the pair check alone passes and every place that prints the public half (JSON, util.inspect,
 * `phlow-keys get`) would print the private key.
 *
 * The rule, checked in plain code without OpenSSL (so it is cheap enough for every KeyPair): the value is
 * exactly one PEM block labelled `PUBLIC KEY` (SubjectPublicKeyInfo, what every store writes) or
 * `RSA PUBLIC KEY` (PKCS#1), with nothing but whitespace around it, and its DER has the shape of that public
 * structure: SPKI is SEQUENCE { SEQUENCE algorithm, BIT STRING key }, PKCS#1 is SEQUENCE { INTEGER n,
 * INTEGER e }. Every private key encoding (PKCS#8, PKCS#1 RSA, SEC1 EC, OpenSSH) fails it: a different label,
 * a version INTEGER first, or more members. The checks never return or throw any part of the value.
 */

/** Why `pem` is not a lone public key PEM, or undefined if it is one. `private` when it holds a private key. */
export type PublicPemProblem = 'private' | 'not-public-pem';

const BLOCK =
  /^\s*-----BEGIN (PUBLIC KEY|RSA PUBLIC KEY)-----\r?\n([A-Za-z0-9+/=\r\n\t ]+)-----END \1-----\s*$/;
const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;
const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;

export function publicPemProblem(pem: unknown): PublicPemProblem | undefined {
  if (typeof pem !== 'string') return 'not-public-pem';
  // Any private label anywhere (PRIVATE KEY, RSA/EC/DSA/OPENSSH/ENCRYPTED PRIVATE KEY) means key material.
  if (/PRIVATE KEY/i.test(pem)) return 'private';
  const match = BLOCK.exec(pem);
  if (!match) return 'not-public-pem';
  const body = match[2]!.replace(/\s+/g, '');
  if (!BASE64_BODY.test(body)) return 'not-public-pem';
  const der = Buffer.from(body, 'base64');
  const members = derSequenceMembers(der);
  if (!members) return 'not-public-pem';
  if (members[0] === INTEGER && match[1] !== 'RSA PUBLIC KEY') return 'private'; // PKCS#8 / PKCS#1 version
  if (match[1] === 'PUBLIC KEY') {
    return members.length === 2 && members[0] === SEQUENCE && members[1] === BIT_STRING
      ? undefined
      : 'not-public-pem';
  }
  if (members.length === 2 && members[0] === INTEGER && members[1] === INTEGER) return undefined;
  return members.length > 2 && members.every((tag) => tag === INTEGER) ? 'private' : 'not-public-pem';
}

/**
 * The tags of the members of the DER SEQUENCE that makes up all of `der`, or undefined if `der` is not
 * exactly one well-formed SEQUENCE of well-formed members.
 */
function derSequenceMembers(der: Uint8Array): number[] | undefined {
  const outer = readHeader(der, 0);
  if (!outer || der[0] !== SEQUENCE || outer.end !== der.length) return undefined;
  const tags: number[] = [];
  let at = outer.start;
  while (at < outer.end) {
    const member = readHeader(der, at);
    if (!member || member.end > outer.end) return undefined;
    tags.push(der[at]!);
    at = member.end;
  }
  return tags;
}

/** Reads one DER tag-length header at `at`: where the content starts and where the element ends. */
function readHeader(der: Uint8Array, at: number): { start: number; end: number } | undefined {
  if (at + 2 > der.length) return undefined;
  const first = der[at + 1]!;
  let length = first;
  let start = at + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 3 || start + count > der.length) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  const end = start + length;
  return end <= der.length ? { start, end } : undefined;
}
