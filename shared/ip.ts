import { BlockList, isIP } from 'node:net';

/** `::ffff:1.2.3.4` → `1.2.3.4`, zone ids dropped, lower case: one spelling per address. */
export function normaliseIp(address: string): string {
  let a = address.trim().toLowerCase();
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped ? (mapped[1] as string) : a;
}

export function ipFamily(address: string): 'ipv4' | 'ipv6' | null {
  const v = isIP(address);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : null;
}

const NON_PUBLIC = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8',
];

export interface NetworkMatcher {
  has(address: string): boolean;
  readonly size: number;
}

/** Fast CIDR membership (node's BlockList); plain addresses count as /32 or /128. Throws on a malformed CIDR. */
export function createNetworkMatcher(cidrs: readonly string[]): NetworkMatcher {
  const list = new BlockList();
  for (const raw of cidrs) {
    const [addr, bits] = raw.trim().split('/') as [string, string | undefined];
    const address = normaliseIp(addr);
    const family = ipFamily(address);
    if (!family) throw new Error(`not an IP network: ${raw}`);
    const prefix = bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128)) throw new Error(`bad prefix length in ${raw}`);
    list.addSubnet(address, prefix, family);
  }
  return {
    size: cidrs.length,
    has(address) {
      const a = normaliseIp(address);
      const family = ipFamily(a);
      return family !== null && list.check(a, family);
    },
  };
}

const nonPublic = createNetworkMatcher(NON_PUBLIC);

/** Private, loopback, link-local, CGNAT, multicast or reserved: no GeoIP answer is meaningful for it. */
export function isNonPublicIp(address: string): boolean {
  return nonPublic.has(address);
}

/** Valid CIDR text (for schema refinements). */
export function isValidCidr(value: string): boolean {
  try {
    createNetworkMatcher([value]);
    return value.includes('/');
  } catch {
    return false;
  }
}
