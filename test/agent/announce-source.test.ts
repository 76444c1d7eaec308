import { describe, expect, it } from 'vitest';
import { announcementFor } from '../../agent/announce-source.js';
import { cacheManagerUrl } from '../../agent/cache-manager.js';
import { ip, port } from '../support/identity.js';

const config = { announceIp: '' as const, privateIp: '' as const, publicIp: '' as const, cachePort: port(3128), cacheType: 'squid' as const, upstream: 'both' as const };

describe('announcementFor', () => {
  it.each([
    ['the configured announce address first', { ...config, announceIp: ip('10.9.9.9'), privateIp: ip('10.1.1.1') }, { privateIp: ip('10.2.2.2') }, '10.9.9.9'],
    ['a configured private address before a discovered one', { ...config, privateIp: ip('10.1.1.1') }, { privateIp: ip('10.2.2.2') }, '10.1.1.1'],
    ['a discovered private address before any public one', { ...config, publicIp: ip('142.104.1.1') }, { privateIp: ip('10.2.2.2') }, '10.2.2.2'],
    ['a public address when there is no private one', config, { publicIp: ip('142.104.1.1') }, '142.104.1.1'],
    ['IPv4 only, as the original format carries', { ...config, privateIp: ip('fd00::1') }, { publicIp: ip('142.104.1.1') }, '142.104.1.1'],
  ])('announces %s', (_what, cfg, found, ip) => {
    expect(announcementFor(cfg, found, true)).toEqual({ ip, port: 3128, type: 'squid', upstream: 'both' });
  });

  it('announces nothing while the self-check fails, or without an IPv4 address', () => {
    expect(announcementFor(config, { privateIp: ip('10.2.2.2') }, false)).toBeNull();
    expect(announcementFor(config, { privateIp: ip('10.2.2.2') }, null)).not.toBeNull(); // not checked yet
    expect(announcementFor(config, { publicIp: ip('2001:db8::1') }, true)).toBeNull();
  });
});

describe('cacheManagerUrl', () => {
  const base = { cacheType: 'squid', cacheManagerUrl: '', cacheHost: '127.0.0.1', cachePort: 3128 };
  it.each([
    ["the cache's own manager by default", base, 'http://127.0.0.1:3128/squid-internal-mgr/'],
    ['brackets for an IPv6 cache host', { ...base, cacheHost: '::1' }, 'http://[::1]:3128/squid-internal-mgr/'],
    ['the configured URL', { ...base, cacheManagerUrl: 'http://mgr.example:8080/squid-internal-mgr/' }, 'http://mgr.example:8080/squid-internal-mgr/'],
    ['none when turned off', { ...base, cacheManagerUrl: 'off' }, null],
    ['none for Varnish', { ...base, cacheType: 'varnish' }, null],
  ])('gives %s', (_what, cfg, url) => {
    expect(cacheManagerUrl(cfg)).toBe(url);
  });
});
