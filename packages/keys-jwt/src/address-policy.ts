/**
 * Which addresses a remote JWK Set may be fetched from. A verifier that fetches a URL named by configuration,
 * or worse by a token's `jku` or a request's `Signature-Agent`, is a way into the network it runs in (SSRF):
 * the cloud metadata service at 169.254.169.254, an admin port on 127.0.0.1, a database on 10.0.0.5. So the
 * address the name resolves to is checked, not the name, and the connection then goes to that very address
 * (bounded-fetch.ts), so a second DNS answer cannot swap in another one between the check and the connect.
 *
 * IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) and NAT64 ones are refused as a class rather than unwrapped:
 * public JWK Sets are not served from them, and each unwrapping rule is one more place to get wrong.
 */
import { BlockList, isIP } from 'node:net';

/** What kind of address it is, for the policy and for messages; `public` is the only one always allowed. */
export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'unspecified'
  | 'ipv4-mapped'
  | 'reserved';

const RANGES: ReadonlyArray<readonly [AddressKind, string, number, 'ipv4' | 'ipv6']> = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '100.64.0.0', 10, 'ipv4'], // carrier-grade NAT, RFC 6598
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'], // cloud metadata services live here
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '192.0.2.0', 24, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['reserved', '198.51.100.0', 24, 'ipv4'],
  ['reserved', '203.0.113.0', 24, 'ipv4'],
  ['reserved', '224.0.0.0', 4, 'ipv4'], // multicast
  ['reserved', '240.0.0.0', 4, 'ipv4'], // reserved and broadcast
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['ipv4-mapped', '::ffff:0:0', 96, 'ipv6'],
  ['ipv4-mapped', '64:ff9b::', 96, 'ipv6'], // NAT64
  ['ipv4-mapped', '64:ff9b:1::', 48, 'ipv6'],
  ['reserved', '100::', 64, 'ipv6'], // discard
  ['reserved', '2001:db8::', 32, 'ipv6'], // documentation
  ['unique-local', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['unique-local', 'fec0::', 10, 'ipv6'], // deprecated site-local
  ['reserved', 'ff00::', 8, 'ipv6'], // multicast
];

// One list per kind and family, checked in ORDER: BlockList matches an IPv4 address against IPv6 ranges
// through the mapped form (and the other way round), so each address meets only the lists of its own family.
const ORDER: readonly AddressKind[] = [
  'ipv4-mapped',
  'unspecified',
  'loopback',
  'link-local',
  'unique-local',
  'private',
  'reserved',
];
const LISTS: Readonly<Record<'ipv4' | 'ipv6', ReadonlyArray<readonly [AddressKind, BlockList]>>> = (() => {
  const lists = { ipv4: [] as [AddressKind, BlockList][], ipv6: [] as [AddressKind, BlockList][] };
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const kind of ORDER) {
      const ranges = RANGES.filter(([k, , , f]) => k === kind && f === family);
      if (ranges.length === 0) continue;
      const list = new BlockList();
      for (const [, network, prefix] of ranges) list.addSubnet(network, prefix, family);
      lists[family].push([kind, list]);
    }
  }
  return lists;
})();

/** The kind of an IP address literal; `reserved` for something that is not one. */
export function addressKind(address: string): AddressKind {
  const family = isIP(address);
  if (family === 0) return 'reserved';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (type === 'ipv6' && /^::ffff:/i.test(address)) return 'ipv4-mapped';
  for (const [kind, list] of LISTS[type]) {
    if (list.check(address, type)) return kind;
  }
  return 'public';
}

export interface AddressPolicy {
  /** Private, loopback, link-local, unique-local, mapped, unspecified and reserved addresses allowed. */
  readonly allowPrivateAddresses: boolean;
  /** Loopback addresses allowed (and `http:` to them). */
  readonly allowInsecureLoopback: boolean;
}

/** Why `address` is refused under `policy`, or undefined when it is allowed. Never throws. */
export function addressRefusal(address: string, policy: AddressPolicy): AddressKind | undefined {
  const kind = addressKind(address);
  if (kind === 'public' || policy.allowPrivateAddresses) return undefined;
  if (kind === 'loopback' && policy.allowInsecureLoopback) return undefined;
  return kind;
}
