import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNetworkMatcher, ipFamily, ipv4Number, isNonPublicIp, normaliseIp } from '../../../server/geo/networks.js';

/** What the matcher did before its IPv4 fast path: every address through node's BlockList. */
function reference(cidrs: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const raw of cidrs) {
    const [addr, bits] = raw.split('/') as [string, string | undefined];
    const address = normaliseIp(addr);
    const family = ipFamily(address) as 'ipv4' | 'ipv6';
    list.addSubnet(address, bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits), family);
  }
  return (address) => {
    const a = normaliseIp(address);
    const family = ipFamily(a);
    return family !== null && list.check(a, family);
  };
}

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const ipv4Cidr = fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`);
const ipv6Cidr = fc.oneof(
  fc.constantFrom('::1/128', 'fc00::/7', 'fe80::/10', '::/0', '::ffff:0:0/96', '::ffff:a00:0/104', '::/64', '2001:db8::/32', '::ffff:0:0/80'),
  fc.ipV6().map((a) => `${a}/${64}`),
);
// Addresses close to the networks above and odd spellings (leading zeros, mapped, brackets, junk).
const address = fc.oneof(
  ipv4,
  fc.ipV6(),
  ipv4.map((a) => `::ffff:${a}`),
  ipv4.map((a) => a.replace(/^(\d)\./, '0$1.')),
  fc.constantFrom('127.0.0.1', '10.1.2.3', '0.0.0.0', '255.255.255.255', '1.2.3', '1.2.3.4.', '01.2.3.4', '1.2.3.256', '', ' 8.8.8.8 ', '[::1]', 'fe80::1%eth0', 'x'),
  fc.string({ maxLength: 20 }),
);

describe('network matcher', () => {
  it('reads strict dotted quads only, as isIP does', () => {
    fc.assert(
      fc.property(fc.oneof(address, fc.stringMatching(/^[0-9.]{0,16}$/)), (a) => {
        const n = ipv4Number(a);
        expect(n !== -1).toBe(isIP(a) === 4);
        if (n !== -1) expect(n).toBe(a.split('.').reduce((v, o) => v * 256 + Number(o), 0));
      }),
      { numRuns: 3000 },
    );
  });

  it('answers as BlockList does, IPv4-mapped IPv6 networks included', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(ipv4Cidr, ipv4, ipv6Cidr), { maxLength: 5 }), fc.array(address, { minLength: 1, maxLength: 10 }), (cidrs, addresses) => {
        const fast = createNetworkMatcher(cidrs);
        const slow = reference(cidrs);
        for (const a of addresses) expect([a, fast.has(a)]).toEqual([a, slow(a)]);
      }),
      { numRuns: 2000 },
    );
  });

  it('knows the non-public ranges', () => {
    expect(isNonPublicIp('10.9.9.9')).toBe(true);
    expect(isNonPublicIp('::ffff:192.168.1.1')).toBe(true);
    expect(isNonPublicIp('142.104.1.1')).toBe(false);
    expect(isNonPublicIp('fe80::1')).toBe(true);
    expect(createNetworkMatcher(['::ffff:0:0/96']).has('8.8.8.8')).toBe(true);
  });
});
