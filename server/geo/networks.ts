import { BlockList, isIP } from 'node:net';
import { nonPublicBlocks } from '../../shared/identity.js';

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

export interface NetworkMatcher {
  has(address: string): boolean;
  readonly size: number;
}

/** A strict dotted quad (as `isIP` accepts: no leading zeros) as an unsigned 32-bit number; -1 otherwise. */
export function ipv4Number(address: string): number {
  let value = 0;
  let octets = 0;
  let i = 0;
  while (i <= address.length) {
    const start = i;
    let octet = 0;
    while (i < address.length) {
      const d = address.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      octet = octet * 10 + d;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && address.charCodeAt(start) === 48)) return -1;
    value = value * 256 + octet;
    octets++;
    if (i === address.length) break;
    if (address.charCodeAt(i) !== 46 || octets === 4) return -1;
    i++;
  }
  return octets === 4 ? value : -1;
}

/**
 * Fast CIDR membership (node's BlockList); plain addresses count as /32 or /128. Throws on a malformed CIDR.
 * An IPv4 address is checked against the IPv4 networks with integer masks (a BlockList check builds a
 * SocketAddress per call, which showed in lookup profiles), and against the BlockList only when an IPv6
 * network of the list reaches into the IPv4-mapped range, where BlockList would match it too.
 */
export function createNetworkMatcher(cidrs: readonly string[]): NetworkMatcher {
  const list = new BlockList();
  const v4: { network: number; mask: number }[] = [];
  const mapped = new BlockList();
  mapped.addSubnet('::ffff:0:0', 96, 'ipv6');
  let v6ReachesV4 = false;
  for (const raw of cidrs) {
    const [addr, bits] = raw.trim().split('/') as [string, string | undefined];
    const address = normaliseIp(addr);
    const family = ipFamily(address);
    if (!family) throw new Error(`not an IP network: ${raw}`);
    const prefix = bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128)) throw new Error(`bad prefix length in ${raw}`);
    list.addSubnet(address, prefix, family);
    if (family === 'ipv4') {
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      v4.push({ network: (ipv4Number(address) & mask) >>> 0, mask });
    } else {
      // Two prefix blocks overlap only if one holds the other's start: the mapped range holds this
      // network's address, or this network holds the mapped range's.
      const one = new BlockList();
      one.addSubnet(address, prefix, 'ipv6');
      if (mapped.check(address, 'ipv6') || one.check('::ffff:0:0', 'ipv6')) v6ReachesV4 = true;
    }
  }
  return {
    size: cidrs.length,
    has(address) {
      const a = normaliseIp(address);
      const n = ipv4Number(a);
      if (n !== -1) {
        for (const r of v4) if (((n & r.mask) >>> 0) === r.network) return true;
        return v6ReachesV4 && list.check(a, 'ipv4');
      }
      return isIP(a) === 6 && list.check(a, 'ipv6');
    },
  };
}

// From ipaddr.js's range tables (the same ones addressClass reads), not a hand list.
const nonPublic = createNetworkMatcher(nonPublicBlocks());

/** Anything but public unicast (private, loopback, link-local, CGNAT, multicast, documentation, reserved...): no GeoIP answer is meaningful for it. */
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
