import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * A cache's identity, typed at the edge. Whatever a heartbeat names ends up in a file bash sources as
 * root (`default.local`), in PAC JavaScript, in Frontier strings and in JSON that old clients parse with
 * regular expressions, so no output is ever built from a raw string: only from these branded values, which
 * only the parsers below make.
 */

declare const brand: unique symbol;
/** A DNS name: LDH labels of 1–63 characters, 253 in all, lower case, no trailing dot. */
export type DnsName = string & { readonly [brand]: 'DnsName' };
/** An IP literal in its one canonical spelling: dotted quad, or RFC 5952 IPv6 (lower case, no zone, no brackets). */
export type IpLiteral = string & { readonly [brand]: 'IpLiteral' };
/** What a proxy URL may name: a DNS name or an IP literal. */
export type ProxyHost = DnsName | IpLiteral;
/** A TCP port, 1–65535. */
export type Port = number & { readonly [brand]: 'Port' };

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Four decimal parts without leading zeros (octal to some parsers); ipaddr.js then checks the ranges. */
const IPV4_SHAPE = /^(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3}$/;
/** Hex groups and colons, perhaps a dotted quad at the end; no zone (`%`), no brackets. */
const IPV6_SHAPE = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;

/** The DNS name `text` spells (case-folded, one trailing dot dropped), or null. */
export function parseDnsName(text: unknown): DnsName | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 254) return null;
  const name = (text.endsWith('.') ? text.slice(0, -1) : text).toLowerCase();
  if (name.length === 0 || name.length > 253) return null;
  const labels = name.split('.');
  for (const label of labels) if (!LABEL.test(label)) return null;
  // A name whose last label is a number is an IPv4 address to resolvers and URL parsers alike
  // (`2130706433`, `127.1`, `0x7f.1`, `010.1.2.3` all reach 127.0.0.1 or 8.1.2.3): never a name.
  if (/^(?:\d+|0x[0-9a-f]*)$/.test(labels[labels.length - 1] as string)) return null;
  return name as DnsName;
}

/**
 * The IP literal `text` spells, canonicalised (`::ffff:1.2.3.4` becomes `1.2.3.4`), or null. IPv4 must be
 * four decimal parts (no `0x7f.1`, no octal); zone ids (`fe80::1%eth0`) and brackets are refused: a zone
 * is meaningless to anyone but the host itself, and was a way to smuggle text past the check.
 */
export function parseIpLiteral(text: unknown): IpLiteral | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 45) return null;
  // Cheap shape checks first: ipaddr.js's isValid throws and catches internally for anything that is not
  // an address, which cost ~8 µs a DNS name on every proxy member an answer encodes.
  if (IPV4_SHAPE.test(text)) {
    return ipaddr.IPv4.isValidFourPartDecimal(text) ? (ipaddr.IPv4.parse(text).toString() as IpLiteral) : null;
  }
  if (!IPV6_SHAPE.test(text) || !ipaddr.IPv6.isValid(text)) return null;
  const v6 = ipaddr.IPv6.parse(text);
  return (v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toRFC5952String()) as IpLiteral;
}

/** A DNS name or an IP literal; an IP literal wins where both would read it (`10.0.0.1`). */
export function parseProxyHost(text: unknown): ProxyHost | null {
  return parseIpLiteral(text) ?? parseDnsName(text);
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const CANONICAL_IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const LOWER_IPV6 = /^[0-9a-f:.]*:[0-9a-f:.]*$/;
const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:\d+|0x[0-9a-f]*)$/;

/**
 * Whether `text` is in the grammar of a parsed proxy host: a lower-case DNS name (last label not a number),
 * a dotted quad, or lower-case hex, colons and dots. A few regular expressions, no parse: the encoders call
 * it on every member they write (parsing again cost microseconds a member), and it is all they need to be
 * sure nothing but a host can come out; spelling each address canonically is the edge's job.
 */
export function isProxyHostText(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  if (CANONICAL_IPV4.test(text) || (LOWER_IPV6.test(text) && text.length <= 45)) return true;
  return DNS_NAME.test(text) && !NUMERIC_LAST_LABEL.test(text);
}

/** Whether `text` is in the grammar of a parsed IP literal (as isProxyHostText, addresses only). */
export function isIpLiteralText(text: unknown): boolean {
  return typeof text === 'string' && (CANONICAL_IPV4.test(text) || (LOWER_IPV6.test(text) && text.length <= 45));
}

/** A port from a JSON number or a string of decimal digits (as the original agent sends it); nothing else. */
export function parsePort(value: unknown): Port | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? (n as Port) : null;
}

export function isIpv6Literal(host: ProxyHost): boolean {
  return host.includes(':');
}

/** The address classes the agent and the server reason about, from ipaddr.js's range tables. */
export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'cgnat' | 'multicast' | 'unspecified' | 'reserved';

const CLASS_OF_RANGE: ReadonlyMap<string, AddressClass> = new Map<string, AddressClass>([
  ['unicast', 'public'],
  ['private', 'private'],
  ['uniqueLocal', 'private'],
  ['loopback', 'loopback'],
  ['linkLocal', 'link-local'],
  ['carrierGradeNat', 'cgnat'],
  ['multicast', 'multicast'],
  ['unspecified', 'unspecified'],
]);

/**
 * The class of a canonical IP literal. Every range ipaddr.js names that is not listed above (documentation
 * and benchmarking blocks, 6to4, Teredo, NAT64, AS112, ORCHID, ...) is `reserved`: no cache is found there.
 */
export function addressClass(ip: IpLiteral): AddressClass {
  return CLASS_OF_RANGE.get(ipaddr.parse(ip).range()) ?? 'reserved';
}

type Ranges = Record<string, [ipaddr.IPv4 | ipaddr.IPv6, number] | [ipaddr.IPv4 | ipaddr.IPv6, number][]>;

/**
 * Every block of ipaddr.js's range tables that is not public unicast, as CIDR text, for the fast
 * integer-mask matcher the server uses on every lookup (parsing with ipaddr.js costs ~4 µs an address).
 * The IPv4-mapped block is left out: such addresses are read as their IPv4 form first.
 */
export function nonPublicBlocks(): string[] {
  const blocks: string[] = [];
  for (const Family of [ipaddr.IPv4, ipaddr.IPv6]) {
    const ranges = (Family.prototype as unknown as { SpecialRanges: Ranges }).SpecialRanges;
    for (const [name, value] of Object.entries(ranges)) {
      if (name === 'ipv4Mapped') continue;
      const list = (Array.isArray(value[0]) ? value : [value]) as [ipaddr.IPv4 | ipaddr.IPv6, number][];
      for (const [address, prefix] of list) blocks.push(`${address.toString()}/${prefix}`);
    }
  }
  return blocks;
}

/** A public unicast address: the only kind GeoIP can place and the server may probe unasked. */
export function isPublicAddress(ip: IpLiteral): boolean {
  return addressClass(ip) === 'public';
}

/** `address/prefix` with a canonical IP literal and a prefix in range for its family, or null. */
export function parseCidr(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const slash = text.indexOf('/');
  if (slash === -1 || !/^\d{1,3}$/.test(text.slice(slash + 1))) return null;
  const address = parseIpLiteral(text.slice(0, slash));
  const prefix = Number(text.slice(slash + 1));
  if (address === null || prefix > (isIpv6Literal(address) ? 128 : 32)) return null;
  return `${address}/${prefix}`;
}

/** zod schemas for the same rules, for heartbeats, config files and keyrings. */
export const IpLiteralSchema = z.string().transform((text, ctx) => {
  const ip = parseIpLiteral(text.trim());
  if (ip === null) ctx.addIssue({ code: 'custom', message: 'must be an IPv4 or IPv6 address (no zone id)' });
  return ip as IpLiteral;
});

export const ProxyHostSchema = z.string().transform((text, ctx) => {
  const host = parseProxyHost(text.trim());
  if (host === null) ctx.addIssue({ code: 'custom', message: 'must be a DNS name (letters, digits, hyphens; labels of 1-63, 253 in all) or an IP address' });
  return host as ProxyHost;
});

export const PortSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const port = parsePort(typeof value === 'string' ? value.trim() : value);
  if (port === null) ctx.addIssue({ code: 'custom', message: 'must be a whole number from 1 to 65535 (decimal digits)' });
  return port as Port;
});

export const CidrSchema = z.string().transform((text, ctx) => {
  const cidr = parseCidr(text.trim());
  if (cidr === null) ctx.addIssue({ code: 'custom', message: 'must be a CIDR such as 10.0.0.0/8' });
  return cidr as string;
});
