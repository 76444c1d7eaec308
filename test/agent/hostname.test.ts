import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { addressesForName, chooseHostname, HostnameError, hostnameWarnings, systemResolver, type HostResolver } from '../../agent/hostname.js';
import { host, ip } from '../support/identity.js';

/**
 * A resolver answering from tables: the logic of choosing a name, tested without DNS (there is no DNS
 * server on the test machines). The real resolver is tested on `localhost` below.
 */
function stubResolver(reverse: Record<string, string[]>, forward: Record<string, string[]>): HostResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    reverse: async (address) => (asked.push(`reverse ${address}`), reverse[address] ?? []),
    resolve: async (name) => (asked.push(`resolve ${name}`), (forward[name] ?? []).map(ip)),
  };
}

const PUBLIC = ip('142.104.1.1');
const PRIVATE = ip('10.1.2.3');

describe('the name the agent advertises', () => {
  it('with no --hostname, the reverse-DNS name of its public address, when that name resolves back to it', async () => {
    const resolver = stubResolver({ [PUBLIC]: ['squid.uvic.ca.'] }, { 'squid.uvic.ca': [PUBLIC] });
    const choice = await chooseHostname({ configured: '', systemName: 'ip-10-1-2-3', reachableAt: PUBLIC, hostAddresses: [PUBLIC, PRIVATE], resolver });
    expect(choice).toEqual({ name: 'squid.uvic.ca', source: 'reverse-dns', why: `reverse DNS of ${PUBLIC}, which it resolves back to`, warnings: [] });
  });

  it('of several reverse-DNS names, a fully qualified one that resolves back', async () => {
    const resolver = stubResolver({ [PUBLIC]: ['squid', 'other.example.org', 'squid.uvic.ca'] }, { squid: [PUBLIC], 'other.example.org': [ip('142.104.9.9')], 'squid.uvic.ca': [PUBLIC] });
    const choice = await chooseHostname({ configured: '', systemName: 'vm', reachableAt: PUBLIC, hostAddresses: [PUBLIC], resolver });
    expect(choice.name).toBe('squid.uvic.ca');
  });

  it("falls back to this host's name when the reverse-DNS name does not resolve back, and warns that the short name leads nowhere", async () => {
    const resolver = stubResolver({ [PUBLIC]: ['host-142-104-1-1.isp.example'] }, { 'host-142-104-1-1.isp.example': [ip('142.104.200.1')] });
    const choice = await chooseHostname({ configured: '', systemName: 'ip-10-1-2-3', reachableAt: PUBLIC, hostAddresses: [PUBLIC, PRIVATE], resolver });
    expect(choice.source).toBe('system');
    expect(choice.name).toBe('ip-10-1-2-3');
    expect(choice.why).toContain('does not resolve back to it: host-142-104-1-1.isp.example resolves to 142.104.200.1');
    expect(choice.warnings).toEqual([
      expect.stringMatching(/^ip-10-1-2-3 is a short name \(one label\)/),
      expect.stringMatching(/^ip-10-1-2-3 does not resolve: clients given it cannot reach the cache/),
    ]);
  });

  it.each([
    ['its public address has no reverse-DNS name', PUBLIC, `${PUBLIC} has no reverse-DNS name`],
    ['it has neither a public nor a NAT address', undefined, 'no public or NAT address to look up in reverse DNS'],
  ])("uses this host's name when %s, and says why", async (_what, reachableAt, why) => {
    const resolver = stubResolver({}, { 'vm7.cloud.example': [PRIVATE] });
    const choice = await chooseHostname({ configured: '', systemName: 'VM7.cloud.example', reachableAt, hostAddresses: [PRIVATE], resolver });
    expect(choice).toEqual({ name: 'vm7.cloud.example', source: 'system', why: `this host's name (${why})`, warnings: [] });
  });

  it('uses a configured --hostname as given, without asking reverse DNS, but warns when it does not lead to this host', async () => {
    const resolver = stubResolver({ [PUBLIC]: ['squid.uvic.ca'] }, { 'squid.example.org': [ip('142.104.50.5')] });
    const choice = await chooseHostname({ configured: host('squid.example.org'), systemName: 'vm', reachableAt: PUBLIC, hostAddresses: [PUBLIC, PRIVATE], resolver });
    expect(choice.name).toBe('squid.example.org');
    expect(choice.source).toBe('configured');
    expect(choice.warnings).toEqual([`squid.example.org resolves to 142.104.50.5, none of this host's addresses (${PUBLIC}, ${PRIVATE}): clients given it reach another host`]);
    expect(resolver.asked).toEqual(['resolve squid.example.org']);
  });

  it('a configured address is not a name: nothing to resolve, nothing to warn about', async () => {
    const resolver = stubResolver({}, {});
    const choice = await chooseHostname({ configured: PUBLIC, systemName: 'vm', reachableAt: PUBLIC, hostAddresses: [PUBLIC], resolver });
    expect(choice).toMatchObject({ name: PUBLIC, source: 'configured', warnings: [] });
  });

  it("refuses to start on a host name that is no DNS name, when nothing better is found", async () => {
    await expect(chooseHostname({ configured: '', systemName: 'my_host', reachableAt: undefined, hostAddresses: [], resolver: stubResolver({}, {}) })).rejects.toThrow(HostnameError);
  });

  it("checks names against the advertised and interface addresses, never loopback", () => {
    const interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = {
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
      eth0: [{ address: '10.1.2.3', netmask: '255.255.0.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '10.1.2.3/16' }],
    };
    expect(addressesForName({ publicIp: '', privateIp: '', externalIp: ip('203.0.113.7') }, interfaces)).toEqual({ reachableAt: '203.0.113.7', hostAddresses: ['203.0.113.7', '10.1.2.3'] });
    expect(addressesForName({ publicIp: PUBLIC, privateIp: '', externalIp: '' }, interfaces).reachableAt).toBe(PUBLIC);
  });
});

describe('the real resolver', () => {
  it('resolves localhost from /etc/hosts, and warns of it as a short name but not as leading elsewhere', async () => {
    const addresses = await systemResolver.resolve('localhost');
    expect(addresses).toContain('127.0.0.1');
    expect(await hostnameWarnings(host('localhost'), [ip('127.0.0.1')], systemResolver)).toEqual([expect.stringMatching(/^localhost is a short name/)]);
    const elsewhere = await hostnameWarnings(host('localhost'), [ip('192.0.2.10')], systemResolver);
    expect(elsewhere[1]).toMatch(/^localhost resolves to .*127\.0\.0\.1.*, none of this host's addresses \(192\.0\.2\.10\)/);
  });

  it('a name under .invalid does not resolve', async () => {
    expect(await systemResolver.resolve('squid.shoal.invalid')).toEqual([]);
    expect(await hostnameWarnings(host('squid.shoal.invalid'), [ip('192.0.2.10')], systemResolver)).toEqual([expect.stringMatching(/^squid\.shoal\.invalid does not resolve/)]);
  });
});
