/**
 * The RFC 9421 signature base (section 2.5): one line per covered component, then `@signature-params`.
 * Derived components (section 2.2) are computed from the message view; fields are the header's combined value
 * with surrounding whitespace removed (section 2.1), or one member of a dictionary field with `;key=`. Other
 * component parameters (`sf`, `bs`, `req`, `name`, `tr`) are refused as MALFORMED: a verifier that accepted a
 * parameter it does not apply would verify a base the signer did not mean.
 */
import { HttpSigError } from './errors.js';
import type { HttpMessage } from './message.js';
import {
  type InnerList,
  type Item,
  isInnerList,
  type Member,
  parseDictionary,
  serializeInnerList,
  serializeItem,
  serializeMember,
} from './structured-fields.js';

const DERIVED = new Set([
  '@method',
  '@target-uri',
  '@authority',
  '@scheme',
  '@request-target',
  '@path',
  '@query',
]);

/** The `@authority` of a URL: host lowercased, with the port only when it is not the scheme's default. */
export function authority(url: URL): string {
  return url.host.toLowerCase();
}

function derived(name: string, message: HttpMessage): string {
  const { url } = message;
  switch (name) {
    case '@method':
      return message.method.toUpperCase();
    case '@target-uri':
      return url.href;
    case '@authority':
      return authority(url);
    case '@scheme':
      return url.protocol.slice(0, -1).toLowerCase();
    case '@request-target':
      return `${url.pathname || '/'}${url.search}`;
    case '@path':
      return url.pathname || '/';
    case '@query':
      return url.search === '' ? '?' : url.search;
    default:
      throw new HttpSigError('MALFORMED', 'a covered derived component is not supported');
  }
}

/**
 * A covered name as messages show it: a field name of at most 64 token characters as it is, anything else
 * (spaces, quotes, 8 KiB of it: the sender chose it) not echoed.
 */
function shown(name: string): string {
  return FIELD_NAME.test(name) && name.length <= 64 ? `"${name}"` : '(its name, not shown)';
}

/** An HTTP field name (RFC 9110 token), lower case as RFC 9421 requires of covered fields. */
const FIELD_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * The fields of one message already read, by name: the raw value, and its dictionary once a `;key=` needed it.
 * A Signature-Input may name one large field with many `key` parameters; each reparsing it would make the
 * work per request grow with their product.
 */
type FieldCache = Map<string, { readonly raw: string | undefined; dictionary?: Map<string, Member> }>;

/** The value of one component, or COMPONENT_MISSING if the message lacks it. */
export function componentValue(
  component: Item,
  message: HttpMessage,
  allowReq = false,
  fields: FieldCache = new Map(),
): string {
  if (typeof component.value !== 'string')
    throw new HttpSigError('MALFORMED', 'a covered component is not a string');
  const name = component.value;
  if (name !== name.toLowerCase())
    throw new HttpSigError('MALFORMED', 'covered component names must be lowercase');
  for (const [param, value] of component.params) {
    // `req` (a response signature covering its request's component): only where the caller resolves
    // components against that request (the directory response signature); its value is always true.
    if (param === 'req' && allowReq && value === true) continue;
    if (param !== 'key')
      throw new HttpSigError('MALFORMED', `the component parameter ${shown(param)} is not supported`);
  }
  if (name.startsWith('@')) {
    if (!DERIVED.has(name) || component.params.has('key')) {
      throw new HttpSigError('MALFORMED', 'a covered derived component is not supported');
    }
    return derived(name, message);
  }
  if (!FIELD_NAME.test(name)) {
    // Not a field any message can have (and fetch's Headers.get would throw a TypeError quoting it).
    throw new HttpSigError('MALFORMED', `the covered field ${shown(name)} is not a field name`);
  }
  let field = fields.get(name);
  if (!field) {
    field = { raw: message.header(name) };
    fields.set(name, field);
  }
  const { raw } = field;
  if (raw === undefined)
    throw new HttpSigError('COMPONENT_MISSING', `the covered field ${shown(name)} is not in the message`);
  const key = component.params.get('key');
  // RFC 9421 section 2.1: leading and trailing SP and HTAB only. String.prototype.trim also drops U+00A0 and
  // others a header value can hold, so a value changed by them would still verify.
  if (key === undefined) return raw.replace(/^[ \t]+|[ \t]+$/g, '');
  if (typeof key !== 'string') throw new HttpSigError('MALFORMED', 'the key parameter must be a string');
  field.dictionary ??= parseDictionary(raw, `the ${shown(name)} field`);
  const member = field.dictionary.get(key);
  if (member === undefined) {
    throw new HttpSigError(
      'COMPONENT_MISSING',
      `the covered field ${shown(name)} has no member named by its key parameter`,
    );
  }
  return serializeMember(member);
}

/**
 * The signature base of `message` for the covered components and parameters in `params` (an inner list).
 * `allowReq`: components with `;req` are accepted and resolved against `message`, which is then the request a
 * response answers (used for the directory response signature).
 */
export function signatureBase(message: HttpMessage, params: InnerList, allowReq = false): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  const fields: FieldCache = new Map();
  for (const component of params.items) {
    const id = serializeItem(component);
    if (seen.has(id)) throw new HttpSigError('MALFORMED', 'a component is covered twice');
    seen.add(id);
    const value = componentValue(component, message, allowReq, fields);
    if (/[\r\n]/.test(value)) throw new HttpSigError('MALFORMED', 'a covered value holds a line break');
    lines.push(`${id}: ${value}`);
  }
  lines.push(`"@signature-params": ${serializeInnerList(params)}`);
  return lines.join('\n');
}

export { isInnerList };
