import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHeartbeat, type Heartbeat } from '../../../shared/heartbeat.js';
import { hostnameAllowed, KeyringError, loadKeyringFile, parseHostnamePattern, parseKeyring, type HostnamePattern } from '../../../server/ingest/keyring.js';
import { makeTempDir } from '../../support/temp.js';
import { parsedHeartbeat } from '../../support/cache-entry.js';

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
  return parsedHeartbeat({ uuid: 'a1', hostname: 'squid.uvic.ca', cache_port: 3128, timestamp: 1, ...overrides });
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

const patterns = (...texts: string[]): HostnamePattern[] =>
  texts.map((t) => {
    const p = parseHostnamePattern(t);
    if (p === null) throw new Error(`bad pattern ${t}`);
    return p;
  });

describe('keyring hostname patterns match whole labels', () => {
  it.each([
    // [pattern, hostname, allowed]
    ['*.uvic.ca', 'squid.uvic.ca', true],
    ['*.uvic.ca', 'a.b.c.uvic.ca', true],
    ['*.uvic.ca', 'Squid.UVic.CA', true],
    ['*.uvic.ca', 'squid.uvic.ca.', true],
    ['*.UVIC.ca.', 'squid.uvic.ca', true],
    ['*.uvic.ca', 'uvic.ca', false],
    ['*.uvic.ca', 'uvic.ca.', false],
    ['*.uvic.ca', 'evil-uvic.ca', false],
    ['*.uvic.ca', 'evileuvic.ca', false],
    ['*.uvic.ca', 'squid.uvic.ca.evil.test', false],
    ['*.uvic.ca', '[x]@127.0.0.1:19050/.uvic.ca', false],
    ['*.uvic.ca', 'x/.uvic.ca', false],
    ['*.uvic.ca', 'a..uvic.ca', false],
    ['*.uvic.ca', '-x.uvic.ca', false],
    ['*.uvic.ca', '$(touch${IFS}/tmp/x).uvic.ca', false],
    ['squid.example.org', 'squid.example.org', true],
    ['squid.example.org', 'SQUID.Example.Org.', true],
    ['Squid.Example.ORG.', 'squid.example.org', true],
    ['squid.example.org', 'x.squid.example.org', false],
    ['squid.example.org', 'quid.example.org', false],
    ['squid.example.org', 'squid.example.org:3128', false],
    ['*', 'anything.test', true],
    ['*', '142.104.1.1', true],
    ['*', '[x]@127.0.0.1:19050/.uvic.ca', false],
    ['10.0.0.1', '10.0.0.1', true],
  ])('%s against %s: %s', (pattern, hostname, allowed) => {
    expect(hostnameAllowed(hostname, patterns(pattern))).toBe(allowed);
  });

  it('refuses the suffix attack through a key, even handed a heartbeat that bypassed the schema', () => {
    const attack = '[x]@127.0.0.1:19050/.uvic.ca';
    expect(parseHeartbeat({ uuid: 'a1', hostname: attack, cache_port: 3128, timestamp: 1 }).ok).toBe(false);
    const forged = { ...hb({}), hostname: attack } as unknown as Heartbeat;
    expect(keyring.get('uvic')!.refuses(forged)).toContain('hostname');
  });

  it.each(['*', 'uvic.ca', '*.uvic.ca', '*.ca', 'UVic.CA.', '  *.uvic.ca  '])('takes the pattern %j', (text) => {
    expect(parseHostnamePattern(text.trim())).not.toBeNull();
    expect(() => parseKeyring({ keys: { a: { secrets: [SECRET], addresses: ['10.0.0.0/8'], hostnames: [text] } } })).not.toThrow();
  });

  it.each(['', '*.', '**', '**.uvic.ca', '*uvic.ca', '.uvic.ca', 'x.*.uvic.ca', '*.*.uvic.ca', 'uvic_ca.test', '-uvic.ca', 'uvic-.ca', 'a b', 'uvic.ca/x', `${'a'.repeat(64)}.ca`])(
    'refuses the pattern %j in a keyring file',
    (text) => {
      expect(() => parseKeyring({ keys: { a: { secrets: [SECRET], addresses: ['10.0.0.0/8'], hostnames: [text] } } })).toThrow(/hostnames/);
    },
  );
});

describe('keyring address scopes are checked on parsed addresses', () => {
  const uvic = keyring.get('uvic')!;
  it.each([
    ['public_ip', '::ffff:142.104.1.1', true],
    ['public_ip', '::FFFF:8e68:0101', true],
    ['private_ip', '::ffff:10.1.2.3', true],
    ['external_ip', '2001:DB8:0:0::1', true],
    ['public_ip', '::ffff:8.8.8.8', false],
    ['public_ip', '142.104.1.1.evil', false],
    ['public_ip', '142.104.1.1%eth0', false],
    ['public_ip', '::ffff:142.104.1.1%<script>,x', false],
  ])('%s %s: allowed %s', (field, address, allowed) => {
    const parsed = parseHeartbeat({ uuid: 'a1', hostname: 'squid.uvic.ca', cache_port: 3128, timestamp: 1, [field]: address });
    if (!parsed.ok) {
      // The schema refuses what is not an IP literal (zone ids included) before any key sees it.
      expect(allowed).toBe(false);
      return;
    }
    expect(uvic.refuses(parsed.heartbeat) === null).toBe(allowed);
  });

  it('refuses an address that bypassed the schema instead of matching its text', () => {
    const forged = { ...hb({}), publicIp: '142.104.1.1%eth0' } as unknown as Heartbeat;
    expect(uvic.refuses(forged)).toContain('public_ip');
  });

  it.each([
    ['a zone id in an address', { addresses: ['fe80::1%eth0'] }, 'addresses'],
    ['a mapped address with a v6 prefix', { addresses: ['::ffff:142.104.0.0/112'] }, 'addresses'],
    ['a leading-zero address', { addresses: ['010.0.0.1'] }, 'addresses'],
    ['a network with a zone id', { networks: ['fe80::%eth0/64'] }, 'networks'],
    ['a network prefix out of range', { networks: ['10.0.0.0/33'] }, 'networks'],
  ])('refuses %s in a keyring file', (_what, fields, where) => {
    expect(() => parseKeyring({ keys: { a: { secrets: [SECRET], addresses: ['10.0.0.0/8'], hostnames: ['*'], ...fields } } })).toThrow(where);
  });

  it('reads a keyring address written as a mapped IPv4 address as that IPv4 address', () => {
    const k = parseKeyring({ keys: { a: { secrets: [SECRET], addresses: ['::ffff:142.104.1.1'], hostnames: ['*'] } } }).get('a')!;
    expect(k.refuses(hb({ public_ip: '142.104.1.1' }))).toBeNull();
    expect(k.refuses(hb({ public_ip: '142.104.1.2' }))).toContain('public_ip');
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
    const dir = await makeTempDir('shoal-keyring-');
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
