import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHeartbeat, type Heartbeat } from '../../../shared/heartbeat.js';
import { KeyringError, loadKeyringFile, parseKeyring } from '../../../server/security/keyring.js';

const SECRET = 'a-secret-of-at-least-16-chars';

const keyring = parseKeyring({
  keys: {
    uvic: {
      secrets: [SECRET],
      addresses: ['142.104.0.0/16', '10.1.0.0/16', '2001:db8::/32'],
      networks: ['142.104.0.0/16', '2001:db8::/32'],
      hostnames: ['*.uvic.ca', 'squid.example.org'],
      sites: ['uvic'],
    },
    anything: { secrets: [SECRET], addresses: ['0.0.0.0/0'], hostnames: ['*'] },
  },
});

function hb(overrides: Record<string, unknown>): Heartbeat {
  const parsed = parseHeartbeat({ uuid: 'a1', hostname: 'squid.uvic.ca', cache_port: 3128, timestamp: 1, ...overrides });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.heartbeat;
}

describe('keyring authorisation', () => {
  const uvic = keyring.get('uvic')!;

  it.each([
    ['its own public address', { public_ip: '142.104.1.1' }],
    ['an IPv4-mapped IPv6 spelling of its address', { public_ip: '::ffff:142.104.1.1' }],
    ['its private and external addresses', { private_ip: '10.1.2.3', external_ip: '142.104.9.9' }],
    ['an IPv6 address inside its range', { public_ip: '2001:db8::1' }],
    ['a network inside its networks', { networks: ['142.104.16.0/20', '2001:db8:1::/48'] }],
    ['its whole network', { networks: ['142.104.0.0/16'] }],
    ['a hostname under its domain, any case', { hostname: 'Cache1.Squid.UVic.ca' }],
    ['an exact hostname', { hostname: 'squid.example.org' }],
    ['its site', { site: 'uvic' }],
  ])('allows %s', (_what, overrides) => {
    expect(uvic.refuses(hb(overrides))).toBeNull();
  });

  it.each([
    ['an address outside its range', { public_ip: '8.8.8.8' }, 'public_ip'],
    ['a private address outside its range', { private_ip: '192.168.1.1' }, 'private_ip'],
    ['an external address outside its range', { external_ip: '9.9.9.9' }, 'external_ip'],
    ['a network wider than its own', { networks: ['142.0.0.0/8'] }, 'network'],
    ['a network elsewhere', { networks: ['10.0.0.0/24'] }, 'network'],
    ['the whole Internet', { networks: ['0.0.0.0/0'] }, 'network'],
    ['a wide network spelt with host bits', { networks: ['142.104.1.1/8'] }, 'network'],
    ['the bare domain of a wildcard', { hostname: 'uvic.ca' }, 'hostname'],
    ['a look-alike domain', { hostname: 'evil-uvic.ca' }, 'hostname'],
    ['a foreign hostname', { hostname: 'proxy.attacker.test' }, 'hostname'],
    ['another site', { site: 'cern' }, 'site'],
  ])('refuses %s', (_what, overrides, word) => {
    expect(uvic.refuses(hb(overrides))).toContain(word);
  });

  it('lets a "*" key advertise any hostname, but no networks when it lists none', () => {
    const any = keyring.get('anything')!;
    expect(any.refuses(hb({ hostname: 'whatever.test', public_ip: '8.8.8.8' }))).toBeNull();
    expect(any.refuses(hb({ networks: ['8.8.8.0/24'] }))).toContain('network');
  });

  it('has no prototype keys', () => {
    expect(keyring.get('constructor')).toBeUndefined();
    expect(keyring.get('__proto__')).toBeUndefined();
    expect(keyring.size).toBe(2);
  });
});

describe('keyring file validation', () => {
  const entry = { secrets: [SECRET], addresses: ['10.0.0.0/8'], hostnames: ['*'] };
  it.each([
    ['no keys object', {}, 'keys'],
    ['a __proto__ key id', JSON.parse(`{"keys": {"__proto__": ${JSON.stringify(entry)}}}`), 'keys'],
    ['a short secret', { keys: { a: { ...entry, secrets: ['short'] } } }, 'secrets'],
    ['no secrets', { keys: { a: { ...entry, secrets: [] } } }, 'secrets'],
    ['a bad address', { keys: { a: { ...entry, addresses: ['10.0.0.300'] } } }, 'addresses'],
    ['no addresses', { keys: { a: { ...entry, addresses: [] } } }, 'addresses'],
    ['a network without a prefix', { keys: { a: { ...entry, networks: ['10.0.0.0'] } } }, 'networks'],
    ['no hostnames', { keys: { a: { ...entry, hostnames: [] } } }, 'hostnames'],
    ['a hostname pattern with a space', { keys: { a: { ...entry, hostnames: ['a b'] } } }, 'hostnames'],
    ['an unknown field', { keys: { a: { ...entry, secret: SECRET } } }, 'keys.a'],
  ])('rejects %s, naming where', (_what, data, where) => {
    expect(() => parseKeyring(data)).toThrow(KeyringError);
    expect(() => parseKeyring(data)).toThrow(where);
  });

  it('reads a file, and says what is wrong with a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-keyring-'));
    const good = join(dir, 'keyring.json');
    await writeFile(good, JSON.stringify({ keys: { a: entry } }));
    await chmod(good, 0o600);
    expect(loadKeyringFile(good).get('a')?.secrets).toEqual([SECRET]);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ not json');
    expect(() => loadKeyringFile(bad)).toThrow(/not valid JSON/);
    expect(() => loadKeyringFile(join(dir, 'missing.json'))).toThrow(/cannot read keyring/);
  });
});
