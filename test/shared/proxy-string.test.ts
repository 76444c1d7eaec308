import { describe, expect, it } from 'vitest';
import type { IpLiteral, Port, ProxyHost } from '../../shared/identity.js';
import { addressField, formatCvmfsProxy, formatFrontierProxies, hostField, hostPort, pacMember, ProxyMemberError, proxyUrl } from '../../shared/proxy-string.js';
import { host, ip, port } from '../support/identity.js';

/**
 * The encoders take only typed values and check them again, so a value cast past the types (a bug, a
 * stale entry from another version) fails loudly instead of reaching default.local, a PAC file or a
 * Frontier string.
 */

/** What issue 15 saw served, and more of the same kind; each cast past the types as a bug would. */
const HOSTILE_HOSTS = [
  '$(touch${IFS}/tmp/x)',
  '`id`',
  'a;DIRECT',
  'evil|http://rogue.example:3128',
  'x)(proxyurl=http://rogue.example:3128',
  'x)(serverurl=rogue.example/Frontier',
  "');alert(1);//",
  'fe80::1%eth0',
  '::ffff:142.104.1.1%<script>,x',
  '[x]@127.0.0.1:19050/.uvic.ca',
  '[::1]',
  'rogue@evil.example',
  'evil.example/x',
  'squid.example.org:3128',
  'Squid.Example.Org', // not case-folded: a parser never makes it
  'squid.example.org.', // not without its trailing dot
  '::FFFF:142.104.1.1', // not canonical
  'a b',
  'a,b',
  '"quoted"',
  'x\u2028y',
  'x\u2029y',
  'nul\u0000byte',
  'esc\u001bbyte',
  'line\nbreak',
  '',
] as const;

const HOSTILE_PORTS = [0, 65536, Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY, '3128', '0x50', null, undefined] as const;

const asHost = (text: string) => text as ProxyHost;
const asPort = (value: unknown) => value as Port;

describe('proxy members from typed values', () => {
  it.each([
    ['squid.uvic.ca', 3128, 'squid.uvic.ca:3128'],
    ['142.104.1.1', 3128, '142.104.1.1:3128'],
    ['2001:db8::1', 8080, '[2001:db8::1]:8080'],
    ['constructor', 1, 'constructor:1'],
    ['xn--zrich-kva.example', 65535, 'xn--zrich-kva.example:65535'],
  ])('%s port %i: %s', (name, n, expected) => {
    expect(hostPort(host(name), port(n))).toBe(expected);
    expect(proxyUrl(host(name), port(n))).toBe(`http://${expected}`);
    expect(pacMember(host(name), port(n))).toBe(`PROXY ${expected}`);
    expect(hostField(host(name))).toBe(name);
  });

  it('writes an address as its one canonical spelling', () => {
    expect(addressField(ip('::ffff:142.104.1.1'))).toBe('142.104.1.1');
    expect(addressField(ip('2001:DB8:0:0:0:0:0:1'))).toBe('2001:db8::1');
  });
});

describe('encoders handed anything but a typed value', () => {
  const encoders = {
    hostPort: (h: ProxyHost) => hostPort(h, port(3128)),
    proxyUrl: (h: ProxyHost) => proxyUrl(h, port(3128)),
    pacMember: (h: ProxyHost) => pacMember(h, port(3128)),
    hostField: (h: ProxyHost) => hostField(h),
    addressField: (h: ProxyHost) => addressField(h as string as IpLiteral),
  };
  const cases = Object.entries(encoders).flatMap(([name, encode]) => HOSTILE_HOSTS.map((text) => [name, text, encode] as const));

  it.each(cases)('%s throws for host %j', (_name, text, encode) => {
    expect(() => encode(asHost(text))).toThrow(ProxyMemberError);
  });

  it.each(['squid.uvic.ca', 'constructor', 'localhost'])('addressField throws for the DNS name %j: an address field holds an address', (name) => {
    expect(() => addressField(host(name) as string as IpLiteral)).toThrow(ProxyMemberError);
  });

  it.each([123, {}, ['squid.uvic.ca'], null, undefined])('throws for a host that is not even a string: %j', (value) => {
    expect(() => proxyUrl(value as unknown as ProxyHost, port(3128))).toThrow(ProxyMemberError);
    expect(() => addressField(value as unknown as IpLiteral)).toThrow(ProxyMemberError);
  });

  it.each(HOSTILE_PORTS.map((p) => [String(p), p] as const))('hostPort, proxyUrl and pacMember throw for port %s', (_label, value) => {
    for (const encode of [hostPort, proxyUrl, pacMember]) expect(() => encode(host('squid.uvic.ca'), asPort(value))).toThrow(ProxyMemberError);
  });

  it('says what it refused, truncated and quoted', () => {
    expect(() => proxyUrl(asHost(`${'x'.repeat(500)};DIRECT`), port(3128))).toThrow(/^not a proxy host: "x{79}$/);
    expect(() => proxyUrl(asHost('a\u2028b'), port(3128))).toThrow('not a proxy host: "a\u2028b"');
  });
});

describe('proxy strings', () => {
  it('joins members into fail-over groups with DIRECT last, and Frontier proxies in order', () => {
    const a = proxyUrl(host('a.test'), port(3128));
    const b = proxyUrl(host('2001:db8::1'), port(3128));
    expect(formatCvmfsProxy([[a, b], [a], []])).toBe('http://a.test:3128|http://[2001:db8::1]:3128;DIRECT');
    expect(formatCvmfsProxy([], { direct: 'never' })).toBe('DIRECT');
    expect(formatFrontierProxies([a, b, a])).toBe('(proxyurl=http://a.test:3128)(proxyurl=http://[2001:db8::1]:3128)');
  });
});
