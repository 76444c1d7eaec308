import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discoverAddresses } from '../../agent/addresses.js';
import { parseHeartbeat } from '../../shared/heartbeat.js';
import { addressClass, isIpLiteralText, isProxyHostText, parseCidr, parseDnsName, parseIpLiteral, parsePort, parseProxyHost, type IpLiteral } from '../../shared/identity.js';
import { isNonPublicIp } from '../../server/geo/networks.js';
import { originalHeartbeat } from '../support/server.js';

const HOSTILE_NAMES = [
  '$(touch${IFS}/tmp/x)',
  '`id`',
  'a;DIRECT',
  'evil|http://rogue.example:3128',
  'x)(proxyurl=http://rogue.example:3128',
  "');alert(1);//",
  '[x]@127.0.0.1:19050/.uvic.ca',
  'rogue@evil.example',
  'evil.example/x',
  'squid.example.org:3128',
  'a b',
  'a,b',
  '"quoted"',
  'x\u2028y',
  'nul\u0000byte',
  'esc\u001bbyte',
  '__proto__',
  'under_score.example',
  '-leading.example',
  'trailing-.example',
  'double..dot',
  '.leading.dot',
  'zürich.example',
  `${'a'.repeat(64)}.example`,
  `${'abcdefghi.'.repeat(25)}example`, // 258 characters
  '',
  'fe80::1%eth0',
  // Numbers to every resolver: 127.0.0.1 and 8.1.2.3, never checked as addresses.
  '2130706433',
  '127.1',
  '0x7f.1',
  '010.1.2.3',
  'a.0x',
  'squid.example.123',
];

describe('DNS names', () => {
  it.each(HOSTILE_NAMES)('refuses %j', (name) => {
    expect(parseDnsName(name)).toBeNull();
    expect(parseProxyHost(name)).toBeNull();
  });

  it.each([
    ['squid.example.org', 'squid.example.org'],
    ['Squid.Example.ORG', 'squid.example.org'],
    ['squid.example.org.', 'squid.example.org'],
    ['localhost', 'localhost'],
    ['xn--zrich-kva.example', 'xn--zrich-kva.example'],
    ['a-b.c-d', 'a-b.c-d'],
    [`${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`],
  ])('reads %j as %j', (text, name) => {
    expect(parseDnsName(text)).toBe(name);
  });

  it('accepts exactly the names whose labels are LDH of 1-63 and whose length is at most 253', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 6 }), (labels) => {
        const name = labels.join('.');
        const numeric = /^(\d+|0x[0-9a-f]*)$/.test(labels[labels.length - 1] as string);
        expect(parseDnsName(name)).toBe(name.length <= 253 && !numeric ? name : null);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const name = parseDnsName(text);
        if (name !== null) expect(name).toMatch(/^[a-z0-9.-]+$/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('IP literals', () => {
  it.each([
    ['142.104.1.1', '142.104.1.1'],
    ['::ffff:142.104.1.1', '142.104.1.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::1', '::1'],
  ])('reads %j as %j', (text, ip) => {
    expect(parseIpLiteral(text)).toBe(ip);
  });

  it.each(['fe80::1%eth0', '::ffff:142.104.1.1%<script>,x', '[::1]', '0x7f.1', '127.1', '010.1.1.1', '1.2.3.256', '1.2.3.4.', ' 1.2.3.4', 'x', ''])('refuses %j', (text) => {
    expect(parseIpLiteral(text)).toBeNull();
  });

  it.each([
    ['142.104.1.1', 'public'],
    ['2606:4700::1', 'public'],
    ['10.1.2.3', 'private'],
    ['192.168.1.1', 'private'],
    ['fd00::1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.1.1', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['192.0.2.2', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['240.0.0.1', 'reserved'],
  ])('classes %s as %s', (text, klass) => {
    expect(addressClass(parseIpLiteral(text) as IpLiteral)).toBe(klass);
    expect(isNonPublicIp(text)).toBe(klass !== 'public');
  });

  it('reads CIDRs with the same address rule', () => {
    expect(parseCidr('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(parseCidr('2001:DB8::/32')).toBe('2001:db8::/32');
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '::/129', 'fe80::%eth0/64', '10.0.0.0/8x', '0x0a.0.0.0/8']) expect(parseCidr(bad)).toBeNull();
  });
});

describe('the encoders\' fast grammar check', () => {
  it('holds for everything the parsers make, and refuses every hostile name', () => {
    const text = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.string({ maxLength: 30 }), fc.constantFrom(...HOSTILE_NAMES));
    fc.assert(
      fc.property(text, (t) => {
        const host = parseProxyHost(t);
        if (host !== null) expect(isProxyHostText(host)).toBe(true);
        const ip = parseIpLiteral(t);
        if (ip !== null) expect(isIpLiteralText(ip)).toBe(true);
        if (isProxyHostText(t)) expect(t).toMatch(/^[a-z0-9.:-]+$/);
      }),
      { numRuns: 3000 },
    );
    for (const name of HOSTILE_NAMES) expect([name, isProxyHostText(name)]).toEqual([name, false]);
  });
});

describe('ports', () => {
  it.each([[3128, 3128], ['3128', 3128], [1, 1], ['65535', 65535]])('reads %j', (value, port) => {
    expect(parsePort(value)).toBe(port);
  });

  it.each(['0x50', '0b11', '1e3', '80.0', ' 80', '', '0', '65536', 0, 65536, 80.5, Number.NaN, null, true])('refuses %j', (value) => {
    expect(parsePort(value)).toBeNull();
  });
});

describe('heartbeat identity', () => {
  const base = { uuid: 'a', hostname: 'squid.example.org', cache_port: '3128', timestamp: 1 };

  it.each([
    ['hostname', { hostname: '$(touch${IFS}/tmp/x)' }],
    ['cache_port', { cache_port: '0x50' }],
    ['cache_port', { cache_port: '1e3' }],
    ['public_ip', { public_ip: 'fe80::1%eth0' }],
    ['private_ip', { private_ip: `fe80::1%${'x'.repeat(60)}` }],
    ['external_ip', { external_ip: '::ffff:142.104.1.1%<script>,x' }],
    ['max_load', { max_load: '0x50' }],
    ['site', { site: '<b>x</b>' }],
    ['networks', { networks: ['10.0.0.0/8', 'fe80::%eth0/64'] }],
  ])('refuses a bad %s, counted under that field alone', (field, fields) => {
    const result = parseHeartbeat({ ...base, ...fields });
    expect(result).toMatchObject({ ok: false, field });
  });

  it('counts every rejection under a top-level field or (body): a closed set of labels', () => {
    const fields = new Set<string>();
    for (let i = 0; i < 256; i++) {
      const result = parseHeartbeat({ ...base, networks: [...Array(i).fill('10.0.0.0/8'), 'bad'], [`junk${i}`]: 1 });
      if (!result.ok) fields.add(result.field);
    }
    expect([...fields]).toEqual(['networks']);
  });

  it('keeps the original agent heartbeat as it is sent, with typed values', () => {
    const result = parseHeartbeat(originalHeartbeat({ hostname: 'Shoal-Squid.test', cache_port: '45435' }));
    expect(result).toMatchObject({ ok: true, heartbeat: { hostname: 'shoal-squid.test', cachePort: 45435, privateIp: '10.1.2.3', externalIp: '142.104.1.1', maxLoad: null } });
  });

  it('turns control and line-separator characters of a status reason into spaces', () => {
    const result = parseHeartbeat({ ...base, status: 'failing', status_reason: 'bad\u0000\u001b[31m\u2028answer' });
    expect(result).toMatchObject({ ok: true, heartbeat: { statusReason: 'bad  [31m answer' } });
  });
});

describe('agent address discovery', () => {
  const nic = (address: string, family: 'IPv4' | 'IPv6' = address.includes(':') ? 'IPv6' : 'IPv4') =>
    ({ address, family, internal: false, netmask: '', mac: '', cidr: null }) as never;

  it('never advertises a documentation, benchmarking or other reserved address as public', () => {
    const found = discoverAddresses({ eth0: [nic('192.0.2.2'), nic('198.51.100.7'), nic('203.0.113.9'), nic('198.18.0.1'), nic('2001:db8::2'), nic('10.0.0.5')] });
    expect(found).toEqual({ publicIp: undefined, privateIp: '10.0.0.5' });
  });

  it('prefers public IPv4, then public IPv6; private is RFC 1918, unique-local or CGNAT; never link-local', () => {
    expect(discoverAddresses({ eth0: [nic('fe80::1'), nic('169.254.3.3'), nic('2606:4700::1'), nic('142.104.1.1')] })).toEqual({ publicIp: '142.104.1.1', privateIp: undefined });
    expect(discoverAddresses({ eth0: [nic('100.64.0.9')], eth1: [nic('2606:4700::1')] })).toEqual({ publicIp: '2606:4700::1', privateIp: '100.64.0.9' });
  });
});
