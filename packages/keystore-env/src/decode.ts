/**
 * Turns an environment variable's value back into a PEM. Shells, CI systems and container platforms
 * mangle multi-line values in different ways, so three forms are accepted:
 *   - a PEM with real newlines;
 *   - a PEM on one line with literal `\n` escapes (what many .env files and CI secret stores hold);
 *   - base64 of either the PEM text or of the DER bytes (what Kubernetes secrets and some CLIs produce).
 * A value that is none of these is returned as null; the caller reports it without echoing it.
 */

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

export function decodePem(raw: string, kind: 'PRIVATE KEY' | 'PUBLIC KEY'): string | null {
  const value = raw.trim();
  if (value.includes('-----BEGIN')) return normalise(value.replace(/\\r/g, '').replace(/\\n/g, '\n'));
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return null;
  const bytes = Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
  if (bytes.length === 0) return null;
  const text = bytes.toString('utf8');
  if (text.includes('-----BEGIN')) return normalise(text.replace(/\\n/g, '\n'));
  if (bytes[0] !== 0x30) return null; // DER always starts with a SEQUENCE
  const body =
    bytes
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
}

function normalise(pem: string): string {
  const trimmed = pem.replace(/\r\n/g, '\n').trim();
  return `${trimmed}\n`;
}
