import { describe, expect, it } from 'vitest';
import { loadClientConfig } from '../../client/config.js';
import { cacheFrom } from '../../client/fetch-nearest.js';
import { assertCvmfsValue, assertFrontierValue, memberOf, parseProxyList, parseProxyMember, printable, type ProxyUrl } from '../../client/proxy-member.js';
import { buildCvmfsValue, mergeFrontierServer } from '../../client/proxy-plan.js';
import { ProxyMemberError } from '../../shared/proxy-string.js';
import { proxy } from './proxy-fixture.js';

/** Hosts an attacker has put into heartbeats (issue 15), and what each would do if it got through. */
const HOSTILE_HOSTS: [string, string][] = [
  ['$(touch${IFS}/tmp/x)', 'runs a command when default.local is sourced'],
  ['`touch /tmp/x`', 'runs a command (backticks)'],
  ['a;DIRECT', 'adds a fail-over group'],
  ['evil|http://rogue.example:3128', 'adds a load-balanced member'],
  ['x)(proxyurl=http://rogue.example:3128', 'adds a Frontier proxy'],
  ['x)(serverurl=rogue.example/Frontier', 'adds a Frontier server'],
  ['rogue@evil.example', 'userinfo: the proxy is really evil.example'],
  ['evil.example/x', 'a path'],
  ['evil.example?x=1', 'a query'],
  ['evil.example#x', 'a fragment'],
  ['evil\u0000.example', 'a NUL byte'],
  ['evil\u001b[2J.example', 'an ESC byte (terminal control)'],
  ['evil.example\n', 'a newline: a second line in default.local'],
  ['evil"; touch /tmp/x; "', 'closes the quotes'],
  ['evil\\.example', 'a backslash'],
  ["');alert(1);//", 'PAC JavaScript'],
  ['fe80::1%eth0', 'an IPv6 zone id'],
  ['[fe80::1%eth0]', 'an IPv6 zone id, bracketed'],
  ['[x]@127.0.0.1:19050/.uvic.ca', 'the keyring-suffix trick: really 127.0.0.1:19050'],
  ['-evil.example', 'a label starting with a hyphen'],
  ['e\u2028vil.example', 'a raw U+2028'],
  ['', 'no host at all'],
  [`${'a'.repeat(64)}.example`, 'a label of 64'],
];

const HOSTILE_PORTS = ['0x50', '1e3', '0', '65536', '-1', '+80', ' 80', '80 ', '3128.0', '', '99999999'];

describe('a proxy member', () => {
  it.each([
    ['http://squid.example.org:3128', 'http://squid.example.org:3128'],
    ['http://SQUID.Example.ORG:3128', 'http://squid.example.org:3128'],
    ['http://squid.example.org.:3128', 'http://squid.example.org:3128'],
    ['http://10.0.0.1:3128', 'http://10.0.0.1:3128'],
    ['http://[2001:db8::1]:3128', 'http://[2001:db8::1]:3128'],
    ['http://[2001:DB8:0:0:0:0:0:1]:3128', 'http://[2001:db8::1]:3128'],
    ['http://[::ffff:10.0.0.1]:3128', 'http://10.0.0.1:3128'],
    ['http://localhost:1', 'http://localhost:1'],
    ['http://squid:65535', 'http://squid:65535'],
  ])('reads %s as %s', (text, url) => {
    expect(parseProxyMember(text)?.url).toBe(url);
  });

  it.each(HOSTILE_HOSTS)('refuses the host %j (%s)', (host) => {
    expect(parseProxyMember(`http://${host}:3128`)).toBeNull();
    expect(memberOf(host, 3128)).toBeNull();
  });

  it.each(HOSTILE_PORTS)('refuses the port %j', (port) => {
    expect(parseProxyMember(`http://squid.example.org:${port}`)).toBeNull();
    expect(memberOf('squid.example.org', port)).toBeNull();
  });

  it.each([0, 65536, -1, 3128.5, Number.NaN, Infinity, '0x50', '1e3', null, true])('refuses the LAN port %j', (port) => {
    expect(memberOf('10.0.0.1', port)).toBeNull();
  });

  it.each([
    'https://squid.example.org:3128',
    'HTTP://squid.example.org:3128',
    'http://squid.example.org',
    'http://squid.example.org:',
    'http://squid.example.org:3128/',
    'http://squid.example.org:3128/x',
    'http://squid.example.org:3128?x',
    'http://squid.example.org:3128#x',
    'http://user:pass@squid.example.org:3128',
    'http://fe80::1:3128',
    'http://[10.0.0.1]:3128',
    'http://[2001:db8::1]3128',
    'http://[2001:db8::1:3128',
    'http://[fe80::1%eth0]:3128',
    'http://[x]@127.0.0.1:19050/.uvic.ca:3128',
    ' http://squid.example.org:3128',
    'http://squid.example.org:3128 ',
    'http://squid.example.org:3128\n',
    'http://squid.example.org:3128;DIRECT',
    'http://a:3128|http://b:3128',
    'DIRECT',
    '',
    `http://${'a.'.repeat(140)}example:3128`,
  ])('refuses %j, which is not one member', (text) => {
    expect(parseProxyMember(text)).toBeNull();
  });

  it.each([42, null, undefined, {}, ['http://a:3128'], { toString: () => 'http://a:3128' }])('refuses the non-string %j', (value) => {
    expect(parseProxyMember(value)).toBeNull();
  });
});

describe('naming a refused member in a log', () => {
  it.each([
    ['evil\u0000\u001b[2J', 'evil\\u0000\\u001b[2J'],
    ['a\\u0000', 'a\\u005cu0000'], // a backslash in the input cannot pass for an escape
    ['e\u2028vil', 'e\\u2028vil'],
    ['x'.repeat(100), `${'x'.repeat(80)}…`],
    [{ proxy: 1 }, '{"proxy":1}'],
    [undefined, 'undefined'],
  ])('writes %j as %j', (value, shown) => {
    expect(printable(value)).toBe(shown);
  });
});

describe('a cache in the server answer', () => {
  const good = { hostname: 'squid.example.org', port: 3128, proxy: 'http://squid.example.org:3128', distance_km: 10, load: 0, score: 0.1, local: false };

  it('keeps a good one, with the member rebuilt from typed values', () => {
    expect(cacheFrom({ ...good, proxy: 'http://SQUID.example.org:3128', extra: 'kept' })).toEqual({ cache: { ...good, extra: 'kept' } });
  });

  it.each(HOSTILE_HOSTS)('refuses proxy host %j (%s), naming it escaped', (host) => {
    const read = cacheFrom({ ...good, proxy: `http://${host}:3128` });
    expect(read).toEqual({ rejected: { member: printable(`http://${host}:3128`), reason: expect.stringContaining('not http://') } });
    expect('rejected' in read && read.rejected.member).not.toMatch(/[^\x20-\x7e…]/);
  });

  it.each([
    [{ hostname: 'rogue@evil.example' }, /hostname/],
    [{ hostname: 42 }, /hostname/],
    [{ port: '0x50' }, /port/],
    [{ port: 0 }, /port/],
    [{ port: 65536 }, /port/],
    [{ load: 'x' }, /schema/],
    [{ proxy: undefined }, /proxy/],
  ])('refuses an entry with %j', (change, reason) => {
    const read = cacheFrom({ ...good, ...change });
    expect('rejected' in read && read.rejected.reason).toMatch(reason);
  });

  it.each([null, 'http://a:3128', 42, []])('refuses the entry %j', (entry) => {
    expect('rejected' in cacheFrom(entry)).toBe(true);
  });
});

describe('a CVMFS proxy list from the site configuration', () => {
  it('keeps the good members and names the bad ones', () => {
    const { groups, rejected } = parseProxyList('http://a:3128|http://rogue@evil.example:3128;DIRECT;http://$(touch${IFS}x):3128;http://[2001:db8::1]:3128');
    expect(groups).toEqual([['http://a:3128'], ['http://[2001:db8::1]:3128']]);
    expect(rejected).toEqual(['http://rogue@evil.example:3128', 'http://$(touch${IFS}x):3128']);
  });

  it.each(HOSTILE_HOSTS)('stops the program on a default proxy with host %j, naming it', (host) => {
    expect(() => loadClientConfig({ env: {}, flags: { defaultProxy: `http://site:3128;http://${host}:3128` } })).toThrow(/--default-proxy: must be a CVMFS proxy list .*: http:\/\/.* is not http:\/\//);
  });

  it('stops the program on a FRONTIER_SERVER with a control character or a broken proxyurl', () => {
    expect(() => loadClientConfig({ env: {}, flags: { frontierServer: '(serverurl=http://f:8000/db)\u001b' } })).toThrow(/--frontier-server: must be a FRONTIER_SERVER string .* printable ASCII/);
    expect(() => loadClientConfig({ env: {}, flags: { frontierServer: '(proxyurl=http://rogue@evil:3128)' } })).toThrow(/--frontier-server: .* has a proxyurl that is not http:/);
    expect(loadClientConfig({ env: {}, flags: { frontierServer: '(serverurl=http://f:8000/db)(proxyurl=http://site:3128)' } }).frontierServer).toBe(
      '(serverurl=http://f:8000/db)(proxyurl=http://site:3128)',
    );
  });
});

describe('the last check of a value before it leaves the client', () => {
  it.each(['DIRECT', 'http://a:3128', 'http://a:3128|http://[2001:db8::1]:3128;http://10.0.0.1:3128;DIRECT'])('passes the CVMFS value %s', (value) => {
    expect(assertCvmfsValue(value)).toBe(value);
  });

  it.each([
    '',
    ';',
    'http://a:3128;',
    'http://a:3128||http://b:3128',
    'http://A:3128;DIRECT', // not the spelling proxyUrl() gives: it was not built from a typed member
    'http://a:3128; rm -rf /',
    'http://a:3128;DIRECT\nrm -rf /',
    'http://a:3128"; touch x; "',
    ...HOSTILE_HOSTS.map(([host]) => `http://a:3128;http://${host}:3128;DIRECT`),
    ...HOSTILE_PORTS.map((port) => `http://a:${port};DIRECT`),
  ])('refuses the CVMFS value %j', (value) => {
    expect(() => assertCvmfsValue(value)).toThrow(ProxyMemberError);
  });

  it.each(['', '(serverurl=http://frontier.cern.ch:8000/atlr)(retrieve-ziplevel=0)(proxyurl=http://a:3128)', '(proxyurl=http://[2001:db8::1]:3128)'])(
    'passes the Frontier value %s',
    (value) => {
      expect(assertFrontierValue(value)).toBe(value);
    },
  );

  it.each([
    '(proxyurl=http://x)(serverurl=rogue.example/Frontier:3128)',
    '(proxyurl=http://rogue@evil.example:3128)',
    '(serverurl=http://f:8000/db)(proxyurl=http://a:3128',
    '(serverurl=http://f:8000/db) (proxyurl=http://a:3128)',
    '(serverurl=http://f:8000/db)\u0000',
    '(serverurl=http://f:8000/$(id))',
    'serverurl=http://f:8000/db',
  ])('refuses the Frontier value %j', (value) => {
    expect(() => assertFrontierValue(value)).toThrow(ProxyMemberError);
  });

  // The encoders take only ProxyUrl; a cast (a bug, a stale file read without the check) still fails loudly.
  it.each(HOSTILE_HOSTS)('fails loudly when an encoder is handed the host %j by a cast', (host) => {
    const bad = `http://${host}:3128` as ProxyUrl;
    expect(() => buildCvmfsValue([[proxy('http://a:3128')], [bad]], [], 'last')).toThrow(ProxyMemberError);
    expect(() => mergeFrontierServer('(serverurl=http://f:8000/db)', [proxy('http://a:3128'), bad])).toThrow(ProxyMemberError);
  });
});
